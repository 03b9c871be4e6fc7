-- How each partner is reached: by the team's SMTP server, or as a draft for the worker's own
-- mail program (for teams without SMTP access). The demo register always uses drafts, so a new
-- user never mails anyone by accident.
ALTER TABLE agreement ADD COLUMN delivery TEXT NOT NULL DEFAULT 'smtp'
    CHECK (delivery IN ('smtp', 'mail_program'));
UPDATE agreement SET delivery = 'mail_program' WHERE demo = 1;
