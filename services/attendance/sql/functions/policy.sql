-- The conversion and check-in policy (one row; admins change it).
CREATE OR REPLACE FUNCTION attendance.policy_json() RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT to_jsonb(p) - 'id' FROM attendance.policy p;
$$;

CREATE OR REPLACE FUNCTION attendance.policy_set(p_caller uuid, p_roles text[],
    p_changes jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_before jsonb := attendance.policy_json();
BEGIN
	IF NOT 'admin' = ANY (p_roles) THEN
		RETURN attendance.err('forbidden');
	END IF;
	IF p_changes ? 'timezone' AND NOT EXISTS (SELECT 1
	    FROM pg_timezone_names WHERE name = p_changes->>'timezone') THEN
		RETURN attendance.err('validation', NULL, jsonb_build_array(
		    jsonb_build_object('field', 'timezone',
		    'message', 'is not a known time zone')));
	END IF;
	UPDATE attendance.policy SET
	    late_per_absence = coalesce((p_changes->>'late_per_absence')::int,
		late_per_absence),
	    early_per_absence = coalesce((p_changes->>'early_per_absence')::int,
		early_per_absence),
	    grace_minutes = coalesce((p_changes->>'grace_minutes')::int,
		grace_minutes),
	    open_before_minutes = coalesce(
		(p_changes->>'open_before_minutes')::int, open_before_minutes),
	    max_accuracy_m = coalesce((p_changes->>'max_accuracy_m')::int,
		max_accuracy_m),
	    warn_threshold = coalesce((p_changes->>'warn_threshold')::numeric,
		warn_threshold),
	    warn_margin = coalesce((p_changes->>'warn_margin')::numeric,
		warn_margin),
	    timezone = coalesce(p_changes->>'timezone', timezone),
	    updated_at = now(), updated_by = p_caller;
	PERFORM attendance.audit(p_caller, 'policy.changed', NULL, NULL,
	    v_before, attendance.policy_json(), NULL, p_request_id, p_client);
	RETURN attendance.policy_json();
END $$;
