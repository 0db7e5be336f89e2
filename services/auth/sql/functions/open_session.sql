-- Opens a session (a refresh-token family) for p_account; p_openid is the
-- WeChat identity it was opened with, if any. A login with the password
-- ('login') counts as a fresh proof of it (reauth_at).
CREATE OR REPLACE FUNCTION auth.open_session(p_account uuid, p_client text,
    p_user_agent text, p_openid text, p_refresh_hash text,
    p_refresh_ttl integer, p_action text, p_request_id text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_sid	uuid;
BEGIN
	INSERT INTO auth.sessions (account_id, client, user_agent,
	    wechat_openid, expires_at, reauth_at)
	VALUES (p_account, p_client, left(p_user_agent, 300), p_openid,
	    now() + make_interval(secs => p_refresh_ttl),
	    CASE WHEN p_action = 'login' THEN now() END)
	RETURNING id INTO v_sid;
	INSERT INTO auth.refresh_tokens (token_hash, session_id, expires_at)
	VALUES (p_refresh_hash, v_sid,
	    now() + make_interval(secs => p_refresh_ttl));
	PERFORM auth.audit(p_account, p_action, p_account,
	    jsonb_build_object('session', v_sid), p_request_id, p_client);
	RETURN auth.claims(p_account, v_sid);
END $$;
