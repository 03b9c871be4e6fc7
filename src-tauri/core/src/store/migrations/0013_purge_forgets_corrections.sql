-- The values before a correction are the client's data too: once the referral is purged they
-- go with it, whatever code purges. This trigger is the only place that deletes them, so the
-- referral module (which does the wiping) does not touch the correction module's table.
CREATE TRIGGER correction_purged AFTER UPDATE OF purged_at ON referral
  WHEN NEW.purged_at IS NOT NULL
BEGIN
  DELETE FROM correction WHERE referral_id = NEW.id;
END;

DELETE FROM correction
  WHERE referral_id IN (SELECT id FROM referral WHERE purged_at IS NOT NULL);
