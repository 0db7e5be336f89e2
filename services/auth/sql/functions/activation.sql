-- Activation: the one-time secret (its HMAC here) that opens an account
-- without a shared password: a new member of staff's, or a student's whose
-- initial password expired, or anyone staff reset. It expires (72 h by
-- default). Wrong tries are counted and audited but do not spend it: the
-- secret (192 bits) cannot be guessed, and a stranger must not be able to
-- burn a colleague's activation.

-- Issues a new activation for an account, replacing any earlier one: every
-- other way in ends with it (password, sessions, the WeChat binding, known
-- devices, live codes), so an account taken over is taken back. Admins for
-- anyone; the International Office for students.
CREATE OR REPLACE FUNCTION auth.activation_issue(p_actor uuid, p_roles text[],
    p_login text, p_secret_hash text, p_ttl integer, p_request_id text,
    p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_acc	auth.accounts;
BEGIN
	SELECT * INTO v_acc FROM auth.accounts
	WHERE lower(login) = lower(p_login) FOR UPDATE;
	IF NOT FOUND THEN
		RETURN auth.err('not-found');
	END IF;
	IF NOT ('admin' = ANY (p_roles) OR ('io' = ANY (p_roles)
	    AND v_acc.kind = 'student')) THEN
		RETURN auth.err('forbidden', 'Staff accounts are activated by '
		    'an administrator');
	END IF;
	UPDATE auth.accounts SET password_hash = NULL,
	    must_change_password = true, initial_password_expires_at = NULL,
	    updated_at = now()
	WHERE id = v_acc.id;
	UPDATE auth.sessions SET revoked_at = now(),
	    revoke_reason = 'activation-issued'
	WHERE account_id = v_acc.id AND revoked_at IS NULL;
	DELETE FROM auth.wechat_bindings WHERE account_id = v_acc.id;
	DELETE FROM auth.known_devices WHERE account_id = v_acc.id;
	UPDATE auth.verification_codes SET consumed_at = now()
	WHERE account_id = v_acc.id AND consumed_at IS NULL;
	RETURN auth.activation_new(v_acc.id, p_actor, p_secret_hash, p_ttl,
	    p_request_id, p_client);
END $$;

CREATE OR REPLACE FUNCTION auth.activation_new(p_account uuid, p_actor uuid,
    p_secret_hash text, p_ttl integer, p_request_id text, p_client text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_expires	timestamptz := now() + make_interval(secs => p_ttl);
BEGIN
	INSERT INTO auth.activations (account_id, secret_hash, issued_by,
	    expires_at)
	VALUES (p_account, p_secret_hash, p_actor, v_expires)
	ON CONFLICT (account_id) DO UPDATE SET
	    secret_hash = EXCLUDED.secret_hash, attempts = 0,
	    issued_by = EXCLUDED.issued_by, created_at = now(),
	    expires_at = EXCLUDED.expires_at;
	PERFORM auth.audit(p_actor, 'activation.issued', p_account,
	    jsonb_build_object('expires_at', v_expires), p_request_id,
	    p_client);
	RETURN jsonb_build_object('account_id', p_account,
	    'activation_expires_at', v_expires);
END $$;

-- Whether a secret opens the account now ({} when it does): checked before
-- the new password is hashed, and again when it is stored. A wrong one is
-- counted and audited; expired, wrong or unknown all answer the same.
CREATE OR REPLACE FUNCTION auth.activation_check(p_login text,
    p_secret_hash text, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_act	auth.activations;
BEGIN
	SELECT v.* INTO v_act FROM auth.activations v
	JOIN auth.accounts a ON a.id = v.account_id AND NOT a.disabled
	WHERE lower(a.login) = lower(p_login) FOR UPDATE OF v;
	IF NOT FOUND OR v_act.expires_at < now() THEN
		RETURN auth.err('activation-invalid');
	END IF;
	IF v_act.secret_hash <> p_secret_hash THEN
		UPDATE auth.activations SET attempts = attempts + 1
		WHERE account_id = v_act.account_id;
		PERFORM auth.audit(NULL, 'activation.failed', v_act.account_id,
		    '{}', p_request_id, p_client);
		RETURN auth.err('activation-invalid');
	END IF;
	RETURN '{}'::jsonb;
END $$;

-- The holder sets their password with the secret; every session opened
-- meanwhile (by whatever way) ends.
CREATE OR REPLACE FUNCTION auth.activate(p_login text, p_secret_hash text,
    p_new_hash text, p_request_id text, p_client text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_check	jsonb := auth.activation_check(p_login, p_secret_hash,
		    p_request_id, p_client);
	v_act	auth.activations;
BEGIN
	IF v_check ? 'error' THEN
		RETURN v_check;
	END IF;
	SELECT v.* INTO v_act FROM auth.activations v
	JOIN auth.accounts a ON a.id = v.account_id
	WHERE lower(a.login) = lower(p_login);
	DELETE FROM auth.activations WHERE account_id = v_act.account_id;
	UPDATE auth.sessions SET revoked_at = now(),
	    revoke_reason = 'activated'
	WHERE account_id = v_act.account_id AND revoked_at IS NULL;
	UPDATE auth.accounts SET password_hash = p_new_hash,
	    must_change_password = false, initial_password_expires_at = NULL,
	    updated_at = now()
	WHERE id = v_act.account_id;
	DELETE FROM auth.login_failures WHERE login = lower(p_login);
	PERFORM auth.audit(v_act.account_id, 'activation.used',
	    v_act.account_id, '{}', p_request_id, p_client);
	RETURN jsonb_build_object('activated', true);
END $$;

-- Accounts not activated yet, for staff: on the initial password (still
-- valid or expired), or waiting for an activation (pending or expired).
CREATE OR REPLACE FUNCTION auth.not_activated(p_school text, p_limit integer,
    p_offset integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH t AS (
		SELECT a.id, a.login, a.kind, a.family_name, a.given_name,
		    a.school, a.created_at, a.initial_password_expires_at,
		    v.expires_at AS activation_expires_at,
		    CASE WHEN v.account_id IS NOT NULL THEN
			CASE WHEN v.expires_at < now() THEN 'activation-expired'
			ELSE 'activation-pending' END
		    WHEN a.initial_password_expires_at < now()
			THEN 'initial-password-expired'
		    WHEN a.password_hash IS NULL THEN 'no-password'
		    ELSE 'initial-password' END AS state
		FROM auth.accounts a
		LEFT JOIN auth.activations v ON v.account_id = a.id
		WHERE NOT a.disabled AND (a.must_change_password
		    OR v.account_id IS NOT NULL)
		    AND (p_school IS NULL OR a.school = p_school))
	SELECT jsonb_build_object('total', (SELECT count(*) FROM t),
	    'limit', p_limit, 'offset', p_offset,
	    'items', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'account', p.login, 'kind', p.kind,
		'family_name', p.family_name, 'given_name', p.given_name,
		'school', p.school, 'created_at', p.created_at,
		'state', p.state, 'initial_password_expires_at',
		p.initial_password_expires_at, 'activation_expires_at',
		p.activation_expires_at) ORDER BY p.login)
		FROM (SELECT * FROM t ORDER BY login LIMIT p_limit
		    OFFSET p_offset) p), '[]'));
$$;
