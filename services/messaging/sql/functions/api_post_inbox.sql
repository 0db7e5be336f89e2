-- Published: posts an in-site message to an account's inbox (attendance's
-- leave decisions and low-attendance warnings). SECURITY DEFINER with a
-- pinned search_path: callers have no rights on messaging's tables.
CREATE OR REPLACE FUNCTION messaging.post_inbox(p_recipient uuid, p_kind text,
    p_subject text, p_body text, p_details jsonb, p_sender uuid)
RETURNS bigint LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	INSERT INTO messaging.inbox (recipient_id, kind, subject, body,
	    details, sender_id)
	VALUES (p_recipient, p_kind, p_subject, p_body,
	    coalesce(p_details, '{}'), p_sender)
	RETURNING id;
$$;

GRANT EXECUTE ON FUNCTION messaging.post_inbox(uuid, text, text, text,
    jsonb, uuid) TO is_attendance;

GRANT EXECUTE ON FUNCTION messaging.post_inbox(uuid, text, text, text,
    jsonb, uuid) TO is_profile;
