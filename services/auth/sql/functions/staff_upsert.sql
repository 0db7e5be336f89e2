-- Staff accounts (admin): create or update with roles and scopes.
CREATE OR REPLACE FUNCTION auth.staff_upsert(p_staff jsonb, p_initial_hash text,
    p_actor uuid, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_id	uuid;
	v_kind	text;
	v_new	boolean := false;
BEGIN
	SELECT id, kind INTO v_id, v_kind FROM auth.accounts
	WHERE lower(login) = lower(p_staff->>'staff_id') FOR UPDATE;
	IF FOUND AND v_kind <> 'staff' THEN
		RETURN auth.err('conflict', 'the ID belongs to a student');
	END IF;
	IF NOT FOUND THEN
		INSERT INTO auth.accounts (login, kind, family_name, given_name,
		    school, password_hash)
		VALUES (p_staff->>'staff_id', 'staff', p_staff->>'family_name',
		    p_staff->>'given_name', p_staff->>'school', p_initial_hash)
		RETURNING id INTO v_id;
		v_new := true;
	ELSE
		UPDATE auth.accounts SET family_name = p_staff->>'family_name',
		    given_name = p_staff->>'given_name',
		    school = p_staff->>'school', updated_at = now()
		WHERE id = v_id;
	END IF;
	DELETE FROM auth.account_roles WHERE account_id = v_id;
	INSERT INTO auth.account_roles
	SELECT v_id, r FROM jsonb_array_elements_text(p_staff->'roles') r;
	DELETE FROM auth.staff_scopes WHERE staff_id = v_id;
	INSERT INTO auth.staff_scopes
	SELECT v_id, 'school', p_staff->>'school'
	WHERE p_staff->'roles' ? 'secretary' AND p_staff->>'school' IS NOT NULL;
	INSERT INTO auth.staff_scopes
	SELECT v_id, 'student', a.id::text
	FROM jsonb_array_elements_text(coalesce(p_staff->'students', '[]')) s
	JOIN auth.accounts a ON lower(a.login) = lower(s) AND a.kind = 'student'
	WHERE p_staff->'roles' ? 'counsellor';
	PERFORM auth.audit(p_actor, CASE WHEN v_new THEN 'staff.created'
	    ELSE 'staff.updated' END, v_id, p_staff - 'password', p_request_id,
	    p_client);
	RETURN jsonb_build_object('id', v_id, 'created', v_new);
END $$;
