-- A copy the app deleted kept its path in `saved_file`, and the folder the worker chose may
-- name the family ("Dossier Peeters"). A deleted copy now keeps only that it was there and when
-- it went (`files::delete`); those deleted before this version forget their path here.
UPDATE saved_file SET path = '' WHERE deleted_at IS NOT NULL;
