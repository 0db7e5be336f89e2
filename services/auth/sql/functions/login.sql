-- First half of a login: the stored hash (NULL when unknown) and lockout.
CREATE OR REPLACE FUNCTION auth.login_lookup(p_login text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'account_id', (SELECT id FROM auth.accounts
		WHERE lower(login) = lower(p_login) AND NOT disabled),
	    'hash', (SELECT password_hash FROM auth.accounts
		WHERE lower(login) = lower(p_login) AND NOT disabled),
	    'locked_for', coalesce((SELECT ceil(extract(epoch FROM
		locked_until - now()))::int FROM auth.login_failures
		WHERE login = lower(p_login) AND locked_until > now()), 0));
$$;

-- Second half: record a failure (locking after p_max) or open a session.
CREATE OR REPLACE FUNCTION auth.login_finish(p_login text, p_account uuid, p_ok boolean,
    p_refresh_hash text, p_client text, p_user_agent text, p_wechat text,
    p_max_failures integer, p_lock_seconds integer, p_refresh_ttl integer,
    p_request_id text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_fail	auth.login_failures;
BEGIN
	SELECT * INTO v_fail FROM auth.login_failures
	    WHERE login = lower(p_login) FOR UPDATE;
	IF FOUND AND v_fail.locked_until > now() THEN
		RETURN auth.err('account-locked');
	END IF;
	IF NOT p_ok OR p_account IS NULL THEN
		INSERT INTO auth.login_failures AS f (login, failures,
		    last_failure_at)
		VALUES (lower(p_login), 1, now())
		ON CONFLICT (login) DO UPDATE SET
		    failures = CASE WHEN f.last_failure_at <
			now() - make_interval(secs => p_lock_seconds)
			THEN 1 ELSE f.failures + 1 END,
		    last_failure_at = now(), locked_until = NULL
		RETURNING * INTO v_fail;
		IF v_fail.failures >= p_max_failures THEN
			UPDATE auth.login_failures SET failures = 0,
			    locked_until = now() + make_interval(secs => p_lock_seconds)
			WHERE login = lower(p_login);
			PERFORM auth.audit(p_account, 'login.locked', p_account,
			    jsonb_build_object('login', p_login), p_request_id,
			    p_client);
		END IF;
		PERFORM auth.audit(p_account, 'login.failed', p_account,
		    jsonb_build_object('login', p_login), p_request_id, p_client);
		RETURN auth.err('invalid-credentials');
	END IF;
	DELETE FROM auth.login_failures WHERE login = lower(p_login);
	RETURN auth.open_session(p_account, p_client, p_user_agent, p_wechat,
	    p_refresh_hash, p_refresh_ttl, 'login', p_request_id);
END $$;
