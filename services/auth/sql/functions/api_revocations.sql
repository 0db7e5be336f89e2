-- Published: the revocation feed. Every service's workers poll it (about
-- each second) and refuse access tokens of the sessions it names, so a
-- logout, a revoked session or a password reset ends access everywhere
-- within seconds, without a query per request. Sessions revoked after
-- p_since_ms (epoch milliseconds) and within the last p_window_s seconds
-- (an access token's lifetime: older revocations concern no live token;
-- at most a day).
CREATE OR REPLACE FUNCTION auth.revocations(p_since_ms bigint,
    p_window_s int) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	SELECT jsonb_build_object(
	    'until_ms', floor(extract(epoch FROM now()) * 1000)::bigint,
	    'sessions', coalesce(jsonb_agg(s.id), '[]'::jsonb))
	FROM auth.sessions s
	WHERE s.revoked_at IS NOT NULL
	    AND s.revoked_at > greatest(to_timestamp(p_since_ms / 1000.0),
		now() - make_interval(secs => least(p_window_s, 86400)));
$$;

GRANT EXECUTE ON FUNCTION auth.revocations(bigint, int)
    TO is_attendance, is_profile, is_messaging, is_scholarship;
