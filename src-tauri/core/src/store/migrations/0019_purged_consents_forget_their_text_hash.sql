-- The consent record's text hash covers the five points as shown, with the client's name,
-- address, phone and e-mail in them: kept after the purge, it would confirm a guess at who the
-- client was. The purge now forgets it (sixty-four zeros, `consent::WIPED_TEXT_SHA256`); the
-- referrals purged before this version forget it here.
UPDATE consent
   SET text_sha256 = '0000000000000000000000000000000000000000000000000000000000000000'
 WHERE referral_id IN (SELECT id FROM referral WHERE purged_at IS NOT NULL);
