-- The claims an access token carries for account a in session s.
CREATE OR REPLACE FUNCTION auth.claims(p_account uuid, p_session uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'sub', a.id, 'account', a.login, 'sid', s.id, 'client', s.client,
	    'wx', coalesce(s.wechat_openid, ''),
	    'must_change_password', a.must_change_password,
	    'roles', coalesce((SELECT jsonb_agg(r.role ORDER BY r.role)
		FROM auth.account_roles r WHERE r.account_id = a.id),
		'[]'::jsonb))
	FROM auth.accounts a JOIN auth.sessions s ON s.account_id = a.id
	WHERE a.id = p_account AND s.id = p_session;
$$;
