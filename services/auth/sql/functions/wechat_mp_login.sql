-- Mini-program login: the openid jscode2session returned must be bound.
CREATE OR REPLACE FUNCTION auth.wechat_mp_login(p_openid text, p_refresh_hash text,
    p_user_agent text, p_refresh_ttl integer, p_request_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_account	uuid;
BEGIN
	SELECT b.account_id INTO v_account FROM auth.wechat_bindings b
	JOIN auth.accounts a ON a.id = b.account_id AND NOT a.disabled
	WHERE b.openid = p_openid;
	IF NOT FOUND THEN
		RETURN auth.err('wechat-not-bound');
	END IF;
	RETURN auth.open_session(v_account, 'miniprogram', p_user_agent,
	    p_openid, p_refresh_hash, p_refresh_ttl, 'login.wechat',
	    p_request_id);
END $$;
