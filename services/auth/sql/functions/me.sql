-- The caller's identity and binding state; a revoked session is refused.
CREATE OR REPLACE FUNCTION auth.me(p_account uuid, p_session uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN s.id IS NULL OR s.revoked_at IS NOT NULL
	    THEN auth.err('unauthorized') ELSE jsonb_build_object(
	    'id', a.id, 'account', a.login, 'kind', a.kind,
	    'family_name', a.family_name, 'given_name', a.given_name,
	    'chinese_name', a.chinese_name, 'school', a.school,
	    'degree', a.degree, 'cohort', a.cohort,
	    'roles', coalesce((SELECT jsonb_agg(r.role ORDER BY r.role)
		FROM auth.account_roles r WHERE r.account_id = a.id), '[]'),
	    'scopes', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'scope', sc.scope, 'value', sc.value) ORDER BY sc.scope, sc.value)
		FROM auth.staff_scopes sc WHERE sc.staff_id = a.id), '[]'),
	    'must_change_password', a.must_change_password,
	    'client', s.client,
	    'email', jsonb_build_object('address', a.email,
		'verified', a.email_verified_at IS NOT NULL),
	    'mobile', jsonb_build_object('number', a.mobile,
		'verified', a.mobile_verified_at IS NOT NULL),
	    'wechat', jsonb_build_object('bound', w.account_id IS NOT NULL,
		'bound_at', w.bound_at)) END
	FROM auth.accounts a
	LEFT JOIN auth.sessions s ON s.id = p_session AND s.account_id = a.id
	LEFT JOIN auth.wechat_bindings w ON w.account_id = a.id
	WHERE a.id = p_account;
$$;
