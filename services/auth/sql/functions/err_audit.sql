-- {"error": code, "detail": ...}: a refusal the service answers as
-- problem+json; and the audit trail every change writes to.
CREATE OR REPLACE FUNCTION auth.err(p_code text, p_detail text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('error', p_code,
	    'detail', p_detail));
$$;

CREATE OR REPLACE FUNCTION auth.audit(p_actor uuid, p_action text, p_target uuid,
    p_details jsonb, p_request_id text, p_client text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO auth.audit_log (actor_id, action, target_id, details,
	    request_id, client)
	VALUES (p_actor, p_action, p_target, coalesce(p_details, '{}'),
	    p_request_id, p_client);
$$;
