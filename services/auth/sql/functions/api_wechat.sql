-- Published: which WeChat identity is bound to an account now, as the
-- mini-program knows it (its own openid, the "wx" claim of its sessions).
-- Attendance compares it with the token's claim at check-in: a binding
-- changed since the login refuses the scan. SECURITY DEFINER with a pinned
-- search_path: the callers have no rights on auth's tables.
CREATE OR REPLACE FUNCTION auth.current_wechat(p_account uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	SELECT mp_openid FROM auth.wechat_bindings WHERE account_id = p_account;
$$;

-- The same for many accounts at once (a batch of check-ins).
CREATE OR REPLACE FUNCTION auth.wechat_openids(p_accounts uuid[])
RETURNS TABLE (account_id uuid, openid text) LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT b.account_id, b.mp_openid FROM auth.wechat_bindings b
	WHERE b.account_id = ANY (p_accounts) AND b.mp_openid IS NOT NULL;
$$;

GRANT EXECUTE ON FUNCTION auth.current_wechat(uuid),
    auth.wechat_openids(uuid[]) TO is_attendance;
