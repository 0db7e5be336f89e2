-- The stored password of an account, and setting a new one.
CREATE OR REPLACE FUNCTION auth.password_of(p_account uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('hash', password_hash, 'login', login)
	FROM auth.accounts WHERE id = p_account AND NOT disabled;
$$;

-- Sets a new password (already hashed) and ends every other session.
CREATE OR REPLACE FUNCTION auth.password_set(p_account uuid, p_hash text,
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
