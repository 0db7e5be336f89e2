-- Small helpers every attendance function uses: refusals, the audit
-- trail, distances on the globe, percentages.
CREATE OR REPLACE FUNCTION attendance.err(p_code text, p_detail text DEFAULT NULL,
    p_errors jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('error', p_code,
	    'detail', p_detail, 'errors', p_errors));
$$;

CREATE OR REPLACE FUNCTION attendance.audit(p_actor uuid, p_action text,
    p_student uuid, p_session uuid, p_before jsonb, p_after jsonb,
    p_details jsonb, p_request_id text, p_client text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO attendance.audit_log (actor_id, action, student_id,
	    session_id, before, after, details, request_id, client)
	VALUES (p_actor, p_action, p_student, p_session, p_before, p_after,
	    coalesce(p_details, '{}'), p_request_id, p_client);
$$;

CREATE OR REPLACE FUNCTION attendance.distance_m(lat1 double precision,
    lon1 double precision, lat2 double precision, lon2 double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
	SELECT 2 * 6371008.8 * asin(sqrt(
	    power(sin(radians(lat2 - lat1) / 2), 2) +
	    cos(radians(lat1)) * cos(radians(lat2)) *
	    power(sin(radians(lon2 - lon1) / 2), 2)));
$$;

CREATE OR REPLACE FUNCTION attendance.pct(p_part numeric, p_whole numeric)
RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_whole > 0 THEN round(100 * p_part / p_whole, 2) END;
$$;
