-- Notices from the International Office and the schools to groups of
-- students: bilingual, as in-site letters and optionally as emails; each
-- recipient's copy is an inbox row (its read state) and, by email, an
-- outbox row (its delivery state). A withdrawn notice leaves the inboxes
-- and its unsent emails are not sent.
CREATE TABLE messaging.notice_templates (
	kind		text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z-]{1,40}$'),
	subject_en	text NOT NULL,
	subject_zh	text NOT NULL,
	body_en		text NOT NULL,
	body_zh		text NOT NULL
);
INSERT INTO messaging.notice_templates VALUES
('residence-permit-extension', 'Residence Permit Extension', '居留许可延期',
 'Dear {name}, your residence permit must be extended before it expires. Bring your passport, the permit and the application form to the International Office.',
 '{name}同学：您的居留许可需在到期前办理延期，请携带护照、居留许可及申请表到国际处办理。'),
('important', 'IMPORTANT NOTICE', '重要通知',
 'Dear {name}, please read this notice carefully.', '{name}同学：请仔细阅读本通知。'),
('insurance-alert', 'INSURANCE ALERT', '保险提醒',
 'Dear {name}, your insurance must be valid for your whole stay. Renew it before it expires.',
 '{name}同学：您在华期间必须持有有效保险，请在到期前续保。'),
('warning', 'Warning', '警告',
 'Dear {name}, this is a formal warning.', '{name}同学：这是一次正式警告。'),
('reminder', 'Reminder', '提醒',
 'Dear {name}, this is a reminder.', '{name}同学：特此提醒。');

CREATE TABLE messaging.notices (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	author_id	uuid NOT NULL REFERENCES auth.accounts (id),
	kind		text NOT NULL REFERENCES messaging.notice_templates (kind),
	subject_en	text NOT NULL CHECK (length(subject_en) BETWEEN 1 AND 140),
	subject_zh	text NOT NULL CHECK (length(subject_zh) BETWEEN 1 AND 140),
	body_en		text NOT NULL CHECK (length(body_en) BETWEEN 1 AND 8000),
	body_zh		text NOT NULL CHECK (length(body_zh) BETWEEN 1 AND 8000),
	audience	jsonb NOT NULL,
	by_email	boolean NOT NULL DEFAULT false,
	recipients	integer NOT NULL CHECK (recipients >= 0),
	seq		bigserial NOT NULL UNIQUE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	withdrawn_at	timestamptz,
	withdrawn_by	uuid,
	withdraw_reason	text CHECK (length(withdraw_reason) <= 500)
);
CREATE INDEX notices_author ON messaging.notices (author_id, seq DESC);

ALTER TABLE messaging.inbox ADD COLUMN notice_id uuid
    REFERENCES messaging.notices (id) ON DELETE CASCADE;
CREATE INDEX inbox_notice ON messaging.inbox (notice_id)
    WHERE notice_id IS NOT NULL;
ALTER TABLE messaging.outbox ADD COLUMN notice_id uuid
    REFERENCES messaging.notices (id) ON DELETE CASCADE;
CREATE INDEX outbox_notice ON messaging.outbox (notice_id)
    WHERE notice_id IS NOT NULL;

-- Who did what to a notice (sent, withdrawn).
CREATE TABLE messaging.audit_log (
	id		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	actor_id	uuid,
	action		text NOT NULL,
	notice_id	uuid,
	details		jsonb NOT NULL DEFAULT '{}',
	request_id	text,
	client		text
);
