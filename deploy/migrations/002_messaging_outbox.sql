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

-- messaging.enqueue: the one way other services send email or SMS.
CREATE FUNCTION messaging.enqueue(p_channel text, p_recipient text,
    p_subject text, p_body text, p_account uuid, p_sensitive boolean,
    p_request_id text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v_id bigint;
BEGIN
	INSERT INTO messaging.outbox (channel, recipient, subject, body,
	    account_id, sensitive, request_id)
	VALUES (p_channel, p_recipient, p_subject, p_body, p_account,
	    p_sensitive, p_request_id)
	RETURNING id INTO v_id;
	PERFORM pg_notify('messaging_outbox', v_id::text);
	RETURN v_id;
END $$;
