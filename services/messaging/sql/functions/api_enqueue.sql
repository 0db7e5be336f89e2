-- Published: the one way other services send email or SMS (auth's
-- verification codes). The deliverer is woken by the notification.
-- SECURITY DEFINER with a pinned search_path: callers have no rights on
-- messaging's tables.
CREATE OR REPLACE FUNCTION messaging.enqueue(p_channel text, p_recipient text,
    p_subject text, p_body text, p_account uuid, p_sensitive boolean,
    p_request_id text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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

GRANT EXECUTE ON FUNCTION messaging.enqueue(text, text, text, text, uuid,
    boolean, text) TO is_auth;
