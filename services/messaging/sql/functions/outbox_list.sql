-- Delivery status for operators (GET /outbox): the newest outbox rows,
-- optionally of one status or recipient. Sensitive bodies (codes) are
-- never shown.
CREATE OR REPLACE FUNCTION messaging.outbox_list(p_status text, p_to text,
    p_limit int) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(m ORDER BY m.id DESC), '[]') FROM (
	    SELECT id, channel, recipient, subject, status, attempts,
		last_error, next_attempt_at, created_at, sent_at, request_id,
		CASE WHEN sensitive THEN NULL ELSE body END AS body
	    FROM messaging.outbox
	    WHERE (p_status IS NULL OR status = p_status)
	    AND (p_to IS NULL OR lower(recipient) = lower(p_to))
	    ORDER BY id DESC LIMIT p_limit) m;
$$;
