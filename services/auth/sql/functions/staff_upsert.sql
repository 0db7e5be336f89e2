-- What an admin sets of a member of staff, as the audit trail's before and
-- after.
CREATE OR REPLACE FUNCTION auth.staff_view(p_account uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('family_name', a.family_name,
	    'given_name', a.given_name, 'school', a.school,
	    'roles', (SELECT coalesce(jsonb_agg(r.role ORDER BY r.role), '[]')
		FROM auth.account_roles r WHERE r.account_id = a.id),
	    'students', (SELECT coalesce(jsonb_agg(s.login ORDER BY s.login),
		'[]') FROM auth.staff_scopes c
		JOIN auth.accounts s ON s.id::text = c.value
		WHERE c.staff_id = a.id AND c.scope = 'student'))
	FROM auth.accounts a WHERE a.id = p_account;
$$;

-- Staff accounts (admin): create or update with roles and scopes. A new
-- account has no password: it is opened with an activation (p_secret_hash,
-- valid p_ttl seconds; none when NULL), never the shared initial password.
-- A field the body lacks keeps the stored value (a counsellor's students,
-- the school); each change is audited with its before and after.
CREATE OR REPLACE FUNCTION auth.staff_upsert(p_staff jsonb, p_secret_hash text,
    p_ttl integer, p_actor uuid, p_roles text[], p_request_id text,
    p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_id		uuid;
	v_kind		text;
	v_new		boolean := false;
	v_before	jsonb;
	v_students	jsonb;
	v_activation	jsonb := '{}';
BEGIN
	IF p_roles IS NOT NULL AND NOT 'admin' = ANY (p_roles) THEN
		RETURN auth.err('forbidden');
	END IF;
	SELECT id, kind INTO v_id, v_kind FROM auth.accounts
	WHERE lower(login) = lower(p_staff->>'staff_id') FOR UPDATE;
	IF FOUND AND v_kind <> 'staff' THEN
		RETURN auth.err('conflict', 'the ID belongs to a student');
	END IF;
	IF NOT FOUND THEN
		INSERT INTO auth.accounts (login, kind, family_name, given_name,
		    school, password_hash)
		VALUES (p_staff->>'staff_id', 'staff', p_staff->>'family_name',
		    p_staff->>'given_name', p_staff->>'school', NULL)
		RETURNING id INTO v_id;
		v_new := true;
	ELSE
		v_before := auth.staff_view(v_id);
		UPDATE auth.accounts SET family_name = p_staff->>'family_name',
		    given_name = p_staff->>'given_name',
		    school = auth.kept(p_staff, 'school', school),
		    updated_at = now()
		WHERE id = v_id;
	END IF;
	v_students := coalesce(p_staff->'students', v_before->'students',
	    '[]');
	DELETE FROM auth.account_roles WHERE account_id = v_id;
	INSERT INTO auth.account_roles
	SELECT v_id, r FROM jsonb_array_elements_text(p_staff->'roles') r;
	DELETE FROM auth.staff_scopes WHERE staff_id = v_id;
	INSERT INTO auth.staff_scopes
	SELECT v_id, 'school', a.school FROM auth.accounts a
	WHERE a.id = v_id AND p_staff->'roles' ? 'secretary'
	    AND a.school IS NOT NULL;
	INSERT INTO auth.staff_scopes
	SELECT v_id, 'student', a.id::text
	FROM jsonb_array_elements_text(v_students) s
	JOIN auth.accounts a ON lower(a.login) = lower(s) AND a.kind = 'student'
	WHERE p_staff->'roles' ? 'counsellor';
	PERFORM auth.audit(p_actor, CASE WHEN v_new THEN 'staff.created'
	    ELSE 'staff.updated' END, v_id, CASE WHEN v_new
	    THEN p_staff - 'password' ELSE coalesce(auth.changes(v_before,
	    auth.staff_view(v_id)), '{}') END, p_request_id, p_client);
	IF v_new AND p_secret_hash IS NOT NULL THEN
		v_activation := auth.activation_new(v_id, p_actor,
		    p_secret_hash, p_ttl, p_request_id, p_client) - 'account_id';
	END IF;
	RETURN jsonb_build_object('id', v_id, 'created', v_new)
	    || v_activation;
END $$;
