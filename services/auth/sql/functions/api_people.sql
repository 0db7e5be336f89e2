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

-- Students by id with the master data staff search by (profile's lists);
-- ids of other accounts are left out.
CREATE OR REPLACE FUNCTION auth.students_brief(p_ids uuid[])
RETURNS TABLE (id uuid, login text, family_name text, given_name text,
    chinese_name text, school text, degree text, cohort integer,
    nationality text) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT a.id, a.login, a.family_name, a.given_name, a.chinese_name,
	    a.school, a.degree, a.cohort, a.nationality
	FROM auth.accounts a WHERE a.id = ANY (p_ids) AND a.kind = 'student';
$$;

-- The students a member of staff may see (auth.visible_students) that
-- match: p_q is part of the student ID or of a name, Latin (any case) or
-- Chinese; the other filters are exact. ord is the page's order (student
-- ID), total the number of matches.
CREATE OR REPLACE FUNCTION auth.find_students(p_caller uuid, p_q text,
    p_school text, p_nationality text, p_degree text, p_cohort integer,
    p_limit integer, p_offset integer)
RETURNS TABLE (id uuid, login text, family_name text, given_name text,
    chinese_name text, school text, degree text, cohort integer,
    nationality text, ord bigint, total bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	WITH m AS (
		SELECT a.* FROM auth.accounts a
		WHERE a.id IN (SELECT v.student_id
		    FROM auth.scope_students(p_caller) v)
		    AND (p_school IS NULL OR a.school = p_school)
		    AND (p_nationality IS NULL
			OR lower(a.nationality) = lower(p_nationality))
		    AND (p_degree IS NULL OR a.degree = p_degree)
		    AND (p_cohort IS NULL OR a.cohort = p_cohort)
		    AND (p_q IS NULL OR strpos(lower(a.login || ' ' ||
			a.given_name || ' ' || a.family_name || ' ' ||
			a.family_name || ' ' || a.given_name || ' ' ||
			coalesce(a.chinese_name, '')), lower(p_q)) > 0)
	)
	SELECT m.id, m.login, m.family_name, m.given_name, m.chinese_name,
	    m.school, m.degree, m.cohort, m.nationality,
	    row_number() OVER (ORDER BY lower(m.login)),
	    count(*) OVER ()
	FROM m ORDER BY lower(m.login) LIMIT p_limit OFFSET p_offset;
$$;

GRANT EXECUTE ON FUNCTION auth.students_brief(uuid[]),
    auth.account_id(text, text) TO is_profile;
GRANT EXECUTE ON FUNCTION auth.find_students(uuid, text, text, text, text,
    integer, integer, integer) TO is_profile;
