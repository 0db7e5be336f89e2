-- The stored password of an account (for a signed-in caller to prove it
-- again), and whether proving it must wait (the 'session' lane: slowed
-- down, or locked); setting a new one.
CREATE OR REPLACE FUNCTION auth.password_of(p_account uuid, p_slow integer,
    p_base_seconds integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('hash', a.password_hash, 'login', a.login)
	    || auth.lane_wait(a.login, 'session', p_slow, p_base_seconds)
	FROM auth.accounts a
	WHERE a.id = p_account AND NOT a.disabled;
$$;

-- Whether the account's 'session' lane is locked now: a right password
-- that raced wrong ones in parallel (all past the first check) is refused.
CREATE OR REPLACE FUNCTION auth.session_lane_locked(p_account uuid)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM auth.login_failures f
	    JOIN auth.accounts a ON f.login = lower(a.login)
	    WHERE a.id = p_account AND f.lane = 'session'
	    AND f.locked_until > now());
$$;

-- A wrong current password from a signed-in caller counts (a stolen token
-- cannot guess the password at leisure) in the 'session' lane: it locks
-- re-proving the password, not the owner's logins.
CREATE OR REPLACE FUNCTION auth.password_failed(p_account uuid,
    p_max_failures integer, p_lock_seconds integer, p_request_id text,
    p_client text) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT auth.login_failed(login, id, 'session', NULL, p_max_failures,
	    p_lock_seconds, 0, p_request_id, p_client)
	FROM auth.accounts WHERE id = p_account;
$$;

-- Sets a new password (already hashed) and ends every other session.
CREATE OR REPLACE FUNCTION auth.password_set(p_account uuid, p_hash text,
    p_session uuid, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	-- Ended while the hashes were computed: nothing changes.
	IF NOT auth.session_live(p_account, p_session) THEN
		RETURN auth.err('unauthorized');
	END IF;
	IF auth.session_lane_locked(p_account) THEN
		RETURN auth.err('account-locked');
	END IF;
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
	-- The current password was just proved in this session.
	UPDATE auth.sessions SET reauth_at = now() WHERE id = p_session;
	PERFORM auth.audit(p_account, 'password.changed', p_account, '{}',
	    p_request_id, p_client);
	RETURN auth.claims(p_account, p_session);
END $$;
