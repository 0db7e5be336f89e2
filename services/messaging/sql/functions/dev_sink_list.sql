-- The newest messages the development transport "delivered" to one
-- recipient (GET /dev/sink, local stack only).
CREATE OR REPLACE FUNCTION messaging.dev_sink_list(p_to text, p_limit int)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(m ORDER BY m.id DESC), '[]') FROM (
	    SELECT id, outbox_id, channel, recipient, subject, body,
		delivered_at
	    FROM messaging.dev_sink WHERE lower(recipient) = lower(p_to)
	    ORDER BY id DESC LIMIT p_limit) m;
$$;
