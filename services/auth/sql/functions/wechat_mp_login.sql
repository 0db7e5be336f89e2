-- Mini-program login: jscode2session gives the mini-program's own openid
-- (not the official account's the binding was scanned with) and the
-- unionid both apps share. The binding is found by the mini-program openid
-- once known, else by the unionid, which records the mini-program openid.
-- A binding made before unionids were kept (schema 004) is found by the
-- openid it stored, as it was then; WeChat gives each app its own openid
-- space, so no other user's openid can match it.
CREATE OR REPLACE FUNCTION auth.wechat_mp_login(p_mp_openid text, p_unionid text,
    p_refresh_hash text, p_user_agent text, p_refresh_ttl integer,
    p_request_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_b	auth.wechat_bindings;
BEGIN
	SELECT b.* INTO v_b FROM auth.wechat_bindings b
	JOIN auth.accounts a ON a.id = b.account_id AND NOT a.disabled
	WHERE b.mp_openid = p_mp_openid
	    OR (b.mp_openid IS NULL AND (b.unionid = p_unionid
		OR (b.unionid IS NULL AND b.openid = p_mp_openid)))
	FOR UPDATE OF b;
	IF NOT FOUND THEN
		RETURN auth.err('wechat-not-bound');
	END IF;
	IF v_b.mp_openid IS NULL THEN
		UPDATE auth.wechat_bindings SET mp_openid = p_mp_openid
		WHERE account_id = v_b.account_id;
	END IF;
	RETURN auth.open_session(v_b.account_id, 'miniprogram', p_user_agent,
	    p_mp_openid, p_refresh_hash, p_refresh_ttl, 'login.wechat',
	    p_request_id);
END $$;
