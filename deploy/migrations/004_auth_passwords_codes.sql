-- Password changes, verification codes (binding and recovery) and the
-- student import.

CREATE FUNCTION auth.password_of(p_account uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('hash', password_hash, 'login', login)
	FROM auth.accounts WHERE id = p_account AND NOT disabled;
$$;

-- Sets a new password (already hashed) and ends every other session.
CREATE FUNCTION auth.password_set(p_account uuid, p_hash text,
    p_session uuid, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE auth.accounts SET password_hash = p_hash,
	    must_change_password = false, updated_at = now()
	WHERE id = p_account;
	IF NOT FOUND THEN
		RETURN auth.err('not-found');
	END IF;
	UPDATE auth.sessions SET revoked_at = now(),
	    revoke_reason = 'password-changed'
	WHERE account_id = p_account AND id <> p_session
	    AND revoked_at IS NULL;
	PERFORM auth.audit(p_account, 'password.changed', p_account, '{}',
	    p_request_id, p_client);
	RETURN auth.claims(p_account, p_session);
END $$;

-- Issues a code for an authenticated binding (p_account set) or for a
-- recovery (p_login set; destination is the verified address on file and
-- unknown accounts are silently ignored). The message text, with the code,
-- goes to the outbox marked sensitive.
CREATE FUNCTION auth.code_issue(p_account uuid, p_login text, p_purpose text,
    p_target text, p_hash text, p_ttl integer, p_cooldown integer,
    p_max_attempts integer, p_subject text, p_body text,
    p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_acc		auth.accounts;
	v_target	text := p_target;
	v_last		timestamptz;
	v_channel	text;
BEGIN
	IF p_account IS NOT NULL THEN
		SELECT * INTO v_acc FROM auth.accounts WHERE id = p_account
		    FOR UPDATE;
	ELSE
		SELECT * INTO v_acc FROM auth.accounts
		WHERE lower(login) = lower(p_login) AND NOT disabled FOR UPDATE;
	END IF;
	IF NOT FOUND THEN
		RETURN CASE WHEN p_account IS NULL THEN '{}'::jsonb
		    ELSE auth.err('not-found') END;
	END IF;
	IF p_purpose = 'recover-email' THEN
		v_target := CASE WHEN v_acc.email_verified_at IS NOT NULL
		    THEN v_acc.email END;
	ELSIF p_purpose = 'recover-mobile' THEN
		v_target := CASE WHEN v_acc.mobile_verified_at IS NOT NULL
		    THEN v_acc.mobile END;
	ELSIF p_purpose = 'bind-email' AND EXISTS (SELECT 1 FROM auth.accounts
	    WHERE lower(email) = lower(p_target) AND id <> v_acc.id
	    AND email_verified_at IS NOT NULL) THEN
		RETURN auth.err('already-bound', 'this email is bound to another account');
	ELSIF p_purpose = 'bind-mobile' AND EXISTS (SELECT 1 FROM auth.accounts
	    WHERE mobile = p_target AND id <> v_acc.id
	    AND mobile_verified_at IS NOT NULL) THEN
		RETURN auth.err('already-bound', 'this number is bound to another account');
	END IF;
	IF v_target IS NULL THEN
		RETURN '{}'::jsonb;
	END IF;
	SELECT max(created_at) INTO v_last FROM auth.verification_codes
	WHERE account_id = v_acc.id AND purpose = p_purpose;
	IF v_last > now() - make_interval(secs => p_cooldown) THEN
		RETURN CASE WHEN p_account IS NULL THEN '{}'::jsonb ELSE
		    jsonb_build_object('error', 'resend-too-soon', 'retry_after',
		    ceil(extract(epoch FROM v_last +
		    make_interval(secs => p_cooldown) - now()))) END;
	END IF;
	-- A new code replaces any earlier one for the same purpose.
	UPDATE auth.verification_codes SET consumed_at = now()
	WHERE account_id = v_acc.id AND purpose = p_purpose
	    AND consumed_at IS NULL;
	INSERT INTO auth.verification_codes (account_id, purpose, target,
	    code_hash, max_attempts, expires_at)
	VALUES (v_acc.id, p_purpose, v_target, p_hash, p_max_attempts,
	    now() + make_interval(secs => p_ttl));
	v_channel := CASE WHEN p_purpose LIKE '%email' THEN 'email'
	    ELSE 'sms' END;
	PERFORM messaging.enqueue(v_channel, v_target, p_subject, p_body,
	    v_acc.id, true, p_request_id);
	PERFORM auth.audit(coalesce(p_account, v_acc.id), 'code.sent', v_acc.id,
	    jsonb_build_object('purpose', p_purpose, 'channel', v_channel),
	    p_request_id, p_client);
	RETURN jsonb_build_object('sent_to', CASE WHEN p_account IS NULL THEN NULL
	    ELSE v_target END, 'expires_in', p_ttl);
END $$;

-- Takes one attempt at the live code: returns its hash for the caller to
-- compare in constant time. The attempt counts even if the caller dies.
CREATE FUNCTION auth.code_attempt(p_login text, p_purpose text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_code	auth.verification_codes;
BEGIN
	SELECT c.* INTO v_code FROM auth.verification_codes c
	JOIN auth.accounts a ON a.id = c.account_id
	WHERE lower(a.login) = lower(p_login) AND c.purpose = p_purpose
	    AND c.consumed_at IS NULL AND c.expires_at > now()
	ORDER BY c.created_at DESC LIMIT 1 FOR UPDATE OF c;
	IF NOT FOUND OR v_code.attempts >= v_code.max_attempts THEN
		RETURN auth.err('code-invalid');
	END IF;
	UPDATE auth.verification_codes SET attempts = attempts + 1
	WHERE id = v_code.id;
	RETURN jsonb_build_object('id', v_code.id, 'hash', v_code.code_hash);
END $$;

-- Applies a verified code: binds the address, or sets the new password and
-- ends every session (recovery).
CREATE FUNCTION auth.code_consume(p_code uuid, p_new_hash text,
    p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_code	auth.verification_codes;
BEGIN
	UPDATE auth.verification_codes SET consumed_at = now()
	WHERE id = p_code AND consumed_at IS NULL AND expires_at > now()
	RETURNING * INTO v_code;
	IF NOT FOUND THEN
		RETURN auth.err('code-invalid');
	END IF;
	IF v_code.purpose = 'bind-email' THEN
		IF EXISTS (SELECT 1 FROM auth.accounts WHERE
		    lower(email) = lower(v_code.target)
		    AND id <> v_code.account_id AND email_verified_at IS NOT NULL) THEN
			RETURN auth.err('already-bound');
		END IF;
		UPDATE auth.accounts SET email = v_code.target,
		    email_verified_at = now(), updated_at = now()
		WHERE id = v_code.account_id;
	ELSIF v_code.purpose = 'bind-mobile' THEN
		IF EXISTS (SELECT 1 FROM auth.accounts WHERE mobile = v_code.target
		    AND id <> v_code.account_id AND mobile_verified_at IS NOT NULL) THEN
			RETURN auth.err('already-bound');
		END IF;
		UPDATE auth.accounts SET mobile = v_code.target,
		    mobile_verified_at = now(), updated_at = now()
		WHERE id = v_code.account_id;
	ELSE
		IF p_new_hash IS NULL THEN
			RETURN auth.err('validation');
		END IF;
		UPDATE auth.accounts SET password_hash = p_new_hash,
		    must_change_password = false, updated_at = now()
		WHERE id = v_code.account_id;
		UPDATE auth.sessions SET revoked_at = now(),
		    revoke_reason = 'password-recovered'
		WHERE account_id = v_code.account_id AND revoked_at IS NULL;
		DELETE FROM auth.login_failures
		WHERE login = (SELECT lower(login) FROM auth.accounts
		    WHERE id = v_code.account_id);
	END IF;
	PERFORM auth.audit(v_code.account_id, replace(v_code.purpose, '-', '.'),
	    v_code.account_id, jsonb_build_object('target', v_code.target),
	    p_request_id, p_client);
	RETURN jsonb_build_object('purpose', v_code.purpose,
	    'target', v_code.target);
END $$;

-- Student import: valid rows (already checked by the service) are upserted
-- by student ID; re-import updates and never duplicates. Rows that clash
-- with staff accounts or name an unknown counsellor are reported.
CREATE FUNCTION auth.import_students(p_rows jsonb, p_initial_hash text,
    p_actor uuid, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_row		jsonb;
	v_id		uuid;
	v_kind		text;
	v_counsellor	uuid;
	v_created	integer := 0;
	v_updated	integer := 0;
	v_rejected	jsonb := '[]';
BEGIN
	FOR v_row IN SELECT * FROM jsonb_array_elements(p_rows) LOOP
		v_counsellor := NULL;
		IF coalesce(v_row->>'counsellor', '') <> '' THEN
			SELECT a.id INTO v_counsellor FROM auth.accounts a
			JOIN auth.account_roles r ON r.account_id = a.id
			    AND r.role = 'counsellor'
			WHERE lower(a.login) = lower(v_row->>'counsellor');
			IF v_counsellor IS NULL THEN
				v_rejected := v_rejected || jsonb_build_object(
				    'row', v_row->'row', 'errors', jsonb_build_array(
				    jsonb_build_object('field', 'counsellor',
				    'message', 'is not a counsellor account')));
				CONTINUE;
			END IF;
		END IF;
		SELECT id, kind INTO v_id, v_kind FROM auth.accounts
		WHERE lower(login) = lower(v_row->>'student_id') FOR UPDATE;
		IF FOUND AND v_kind <> 'student' THEN
			v_rejected := v_rejected || jsonb_build_object('row',
			    v_row->'row', 'errors', jsonb_build_array(
			    jsonb_build_object('field', 'student_id',
			    'message', 'belongs to a staff account')));
			CONTINUE;
		END IF;
		IF FOUND THEN
			UPDATE auth.accounts SET
			    family_name = v_row->>'family_name',
			    given_name = v_row->>'given_name',
			    chinese_name = v_row->>'chinese_name',
			    school = v_row->>'school', degree = v_row->>'degree',
			    cohort = (v_row->>'cohort')::int,
			    nationality = v_row->>'nationality',
			    sex = v_row->>'sex', updated_at = now()
			WHERE id = v_id;
			v_updated := v_updated + 1;
		ELSE
			INSERT INTO auth.accounts (login, kind, family_name,
			    given_name, chinese_name, school, degree, cohort,
			    nationality, sex, email, password_hash)
			VALUES (v_row->>'student_id', 'student',
			    v_row->>'family_name', v_row->>'given_name',
			    v_row->>'chinese_name', v_row->>'school',
			    v_row->>'degree', (v_row->>'cohort')::int,
			    v_row->>'nationality', v_row->>'sex',
			    v_row->>'email', p_initial_hash)
			RETURNING id INTO v_id;
			INSERT INTO auth.account_roles VALUES (v_id, 'student');
			v_created := v_created + 1;
		END IF;
		IF v_counsellor IS NOT NULL THEN
			DELETE FROM auth.staff_scopes s USING auth.account_roles r
			WHERE s.scope = 'student' AND s.value = v_id::text
			    AND r.account_id = s.staff_id AND r.role = 'counsellor';
			INSERT INTO auth.staff_scopes VALUES (v_counsellor,
			    'student', v_id::text) ON CONFLICT DO NOTHING;
		END IF;
	END LOOP;
	PERFORM auth.audit(p_actor, 'accounts.imported', NULL,
	    jsonb_build_object('created', v_created, 'updated', v_updated,
	    'rejected', jsonb_array_length(v_rejected)), p_request_id, p_client);
	RETURN jsonb_build_object('created', v_created, 'updated', v_updated,
	    'rejected', v_rejected);
END $$;

-- Staff accounts (admin): create or update with roles and scopes.
CREATE FUNCTION auth.staff_upsert(p_staff jsonb, p_initial_hash text,
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
