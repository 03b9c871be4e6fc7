-- The day the client withdrew consent is part of the referral, as the day its data were wiped
-- is: the referral module reads and writes it, and the withdrawal module records it through
-- that module. Until now the referral list read it from the withdrawal table, a table the
-- referral module does not own (and cannot ask, as withdrawal builds on referral).
ALTER TABLE referral ADD COLUMN withdrawn_on TEXT;  -- YYYY-MM-DD: when the client said it

UPDATE referral
   SET withdrawn_on = (SELECT said_on FROM withdrawal WHERE withdrawal.referral_id = referral.id);

ALTER TABLE withdrawal DROP COLUMN said_on;
