-- Published: who accounts are, for the names and IDs other services show
-- (a student's brief, a course's teacher, an audit entry's actor), and
-- the account behind a login name. SECURITY DEFINER with a pinned
-- search_path: the callers have no rights on auth's tables.

-- Accounts by id; ids that do not exist are left out.
CREATE OR REPLACE FUNCTION auth.people(p_ids uuid[])
RETURNS TABLE (id uuid, login text, name text, chinese_name text,
    school text, kind text) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT a.id, a.login, a.given_name || ' ' || a.family_name,
	    a.chinese_name, a.school, a.kind
	FROM auth.accounts a WHERE a.id = ANY (p_ids);
$$;

-- The account with this login name (any case) that holds p_role; NULL
-- when there is none.
CREATE OR REPLACE FUNCTION auth.account_id(p_login text, p_role text)
RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT a.id FROM auth.accounts a
	JOIN auth.account_roles r ON r.account_id = a.id AND r.role = p_role
	WHERE lower(a.login) = lower(p_login);
$$;

GRANT EXECUTE ON FUNCTION auth.people(uuid[]), auth.account_id(text, text)
    TO is_attendance;
