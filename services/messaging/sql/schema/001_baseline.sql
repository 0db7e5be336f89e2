-- messaging's tables as the first version of the system created them (the
-- deploy/migrations of commit fe869ae, where the inbox came with
-- attendance): the delivery outbox, the development sink and the inbox of
-- in-site messages. A database built by that version already has them:
-- the migrator records this file as applied.

-- The delivery outbox: every email and SMS (verification codes included)
-- is a row here, sent by is-deliverer with retries and backoff.
CREATE TABLE messaging.outbox (
	id		bigserial PRIMARY KEY,
	channel		text NOT NULL CHECK (channel IN ('email', 'sms')),
	recipient	text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
	subject		text NOT NULL DEFAULT '' CHECK (length(subject) <= 300),
	body		text NOT NULL CHECK (length(body) <= 20000),
	account_id	uuid,
	sensitive	boolean NOT NULL DEFAULT false,
	status		text NOT NULL DEFAULT 'pending'
			    CHECK (status IN ('pending', 'sent', 'failed', 'dead')),
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	last_error	text,
	request_id	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	sent_at		timestamptz
);
CREATE INDEX outbox_due ON messaging.outbox (next_attempt_at)
    WHERE status IN ('pending', 'failed');

-- What the development sink "sent": the local stack and the tests read it.
CREATE TABLE messaging.dev_sink (
	id		bigserial PRIMARY KEY,
	outbox_id	bigint NOT NULL REFERENCES messaging.outbox (id),
	channel		text NOT NULL,
	recipient	text NOT NULL,
	subject		text NOT NULL,
	body		text NOT NULL,
	delivered_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dev_sink_recipient ON messaging.dev_sink (recipient, id);


-- In-site messages (the messaging service's inbox): other services post
-- through messaging.post_inbox.
CREATE TABLE messaging.inbox (
	id		bigserial PRIMARY KEY,
	recipient_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,40}$'),
	subject		text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
	body		text NOT NULL CHECK (length(body) <= 20000),
	details		jsonb NOT NULL DEFAULT '{}',
	sender_id	uuid,
	created_at	timestamptz NOT NULL DEFAULT now(),
	read_at		timestamptz
);
CREATE INDEX inbox_recipient ON messaging.inbox (recipient_id, id DESC);
