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

-- The fields that differ between two versions of a record, for the audit
-- trail: {"before": {...}, "after": {...}}, or NULL when none does.
CREATE OR REPLACE FUNCTION auth.changes(p_before jsonb, p_after jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN count(*) > 0 THEN jsonb_build_object(
	    'before', jsonb_object_agg(k, p_before->k),
	    'after', jsonb_object_agg(k, p_after->k)) END
	FROM jsonb_object_keys(p_before || p_after) AS f(k)
	WHERE p_before->k IS DISTINCT FROM p_after->k;
$$;

-- A field of an imported row or a request body: a key the input lacks
-- keeps the stored value; an empty or null one clears it.
CREATE OR REPLACE FUNCTION auth.kept(p_input jsonb, p_key text, p_stored text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_input ? p_key THEN NULLIF(p_input->>p_key, '')
	    ELSE p_stored END;
$$;
