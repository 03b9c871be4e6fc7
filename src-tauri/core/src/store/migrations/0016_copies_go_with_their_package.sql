-- Until version 16 a saved copy was known only by its referral, so a package's archive or mail
-- draft saved outside the store stayed until the referral's purge, long after the partner had
-- confirmed it and the store had destroyed its own archive (seed 004: after the receipt, files
-- and keys are destroyed on both sides). Since then a copy of a package's own file names that
-- package, and goes with its archive.
ALTER TABLE saved_file ADD COLUMN package_id INTEGER;
CREATE INDEX saved_file_package ON saved_file (package_id);

-- The copies saved before: a file named after exactly one package of its referral (the archive's
-- name, or its draft's: the same with .eml) is that package's, and goes at the app's next round
-- if that package's archive is already destroyed. A name that fits two packages (a second
-- correction) or none (numbered -2 because the folder held one already) is left to the purge,
-- as before.
UPDATE saved_file SET package_id = (
    SELECT CASE WHEN count(*) = 1 THEN min(package.id) END
      FROM package JOIN referral ON referral.id = package.referral_id
     WHERE referral.reference = saved_file.reference
       AND (substr('/' || replace(saved_file.path, '\', '/'), -length(package.file_name) - 1)
              = '/' || package.file_name
         OR substr('/' || replace(saved_file.path, '\', '/'), -length(package.file_name) - 2)
              = '/' || replace(package.file_name, '.7z', '.eml')))
 WHERE deleted_at IS NULL;
