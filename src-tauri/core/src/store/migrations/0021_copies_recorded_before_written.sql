-- A copy that names a referral is recorded before its first byte is written, with the hidden
-- name it is written under (`temp`), so that a crash between writing and naming it, or between
-- naming and recording it, leaves nothing the purge does not know of. `temp` is cleared when the
-- copy has its name and its record (`files::Staged::commit`); a row that still has one is a save
-- cut off, settled by `files::settle_cut_off`.
ALTER TABLE saved_file ADD COLUMN temp TEXT;
