-- Every attempt to send a package carries the package's one Message-ID (so the partner's mail
-- system sees a resend as the same mail), so a bounce alone cannot say which attempt came back:
-- one of an attempt left "mogelijk al verzonden" that arrived after the worker sent it again put
-- the package back in "aandacht nodig", though the later attempt may well have arrived. The
-- Date of the latest attempt's mail tells them apart: a bounce returns the original's headers,
-- and one whose Date is earlier is about an earlier attempt. NULL for a draft (the mail program
-- dates what it sends) and for attempts made before this version.
ALTER TABLE outbox ADD COLUMN mail_date TEXT;   -- RFC 3339, whole seconds
