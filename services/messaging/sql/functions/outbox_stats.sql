-- What an operator graphs of the delivery outbox: messages waiting (pending
-- or failed and to be retried) and the oldest one's age in seconds.
CREATE OR REPLACE FUNCTION messaging.outbox_stats() RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('pending', count(*),
	    'oldest_age_seconds', coalesce(extract(epoch FROM
		now() - min(created_at)), 0))
	FROM messaging.outbox WHERE status IN ('pending', 'failed');
$$;
