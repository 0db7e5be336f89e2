-- Logging out, and the sessions an account has open.
CREATE OR REPLACE FUNCTION auth.logout(p_account uuid, p_session uuid,
    p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE auth.sessions SET revoked_at = now(), revoke_reason = 'logout'
	WHERE id = p_session AND account_id = p_account AND revoked_at IS NULL;
	PERFORM auth.audit(p_account, 'logout', p_account,
	    jsonb_build_object('session', p_session), p_request_id, p_client);
	RETURN '{}'::jsonb;
END $$;

CREATE OR REPLACE FUNCTION auth.sessions_of(p_account uuid, p_current uuid)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
	    'id', s.id, 'client', s.client, 'user_agent', s.user_agent,
	    'created_at', s.created_at, 'last_used_at', s.last_used_at,
	    'expires_at', s.expires_at, 'current', s.id = p_current)
	    ORDER BY s.created_at DESC), '[]'::jsonb))
	FROM auth.sessions s
	WHERE s.account_id = p_account AND s.revoked_at IS NULL
	    AND s.expires_at > now();
$$;

CREATE OR REPLACE FUNCTION auth.session_revoke(p_account uuid, p_session uuid,
    p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE auth.sessions SET revoked_at = now(), revoke_reason = 'revoked'
	WHERE id = p_session AND account_id = p_account AND revoked_at IS NULL;
	IF NOT FOUND THEN
		RETURN auth.err('not-found');
	END IF;
	PERFORM auth.audit(p_account, 'session.revoked', p_account,
	    jsonb_build_object('session', p_session), p_request_id, p_client);
	RETURN '{}'::jsonb;
END $$;
