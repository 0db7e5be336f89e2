-- Published: who may see which student. The rule exists here once and
-- every service uses it:
--   the university-wide offices (io, finance, leader, admin) see every
--   student; a counsellor sees the students in their scope; a school
--   secretary sees the students of their school; a student sees only
--   themselves. Roles and scopes are read from the database, not from a
--   token, so a change applies at once.
-- Other services add what only they know (attendance: a course's teacher
-- sees its students). The published functions are SECURITY DEFINER: their
-- callers have no rights on auth's tables; search_path is pinned and
-- every name qualified.

-- The parts of the rule, private to auth (inlined where they are used).
CREATE OR REPLACE FUNCTION auth.office_holder(p_caller uuid)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM auth.account_roles r
	    WHERE r.account_id = p_caller
	    AND r.role IN ('io', 'finance', 'leader', 'admin'));
$$;

CREATE OR REPLACE FUNCTION auth.counsellor_scope(p_caller uuid)
RETURNS TABLE (student_id uuid) LANGUAGE sql STABLE AS $$
	SELECT s.value::uuid FROM auth.staff_scopes s
	JOIN auth.account_roles r ON r.account_id = s.staff_id
	    AND r.role = 'counsellor'
	WHERE s.staff_id = p_caller AND s.scope = 'student';
$$;

CREATE OR REPLACE FUNCTION auth.secretary_scope(p_caller uuid)
RETURNS TABLE (school text) LANGUAGE sql STABLE AS $$
	SELECT s.value FROM auth.staff_scopes s
	JOIN auth.account_roles r ON r.account_id = s.staff_id
	    AND r.role = 'secretary'
	WHERE s.staff_id = p_caller AND s.scope = 'school';
$$;

-- The students a member of staff may see: the rule above.
CREATE OR REPLACE FUNCTION auth.scope_students(p_caller uuid)
RETURNS TABLE (student_id uuid) LANGUAGE sql STABLE AS $$
	SELECT a.id FROM auth.accounts a
	WHERE a.kind = 'student' AND (auth.office_holder(p_caller)
	    OR a.id IN (SELECT c.student_id FROM auth.counsellor_scope(p_caller) c)
	    OR a.school IN (SELECT s.school FROM auth.secretary_scope(p_caller) s));
$$;

CREATE OR REPLACE FUNCTION auth.visible_students(p_caller uuid)
RETURNS TABLE (student_id uuid) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT v.student_id FROM auth.scope_students(p_caller) v;
$$;

CREATE OR REPLACE FUNCTION auth.can_read_student(p_caller uuid,
    p_student uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT p_caller = p_student OR EXISTS (SELECT 1
	    FROM auth.scope_students(p_caller) v WHERE v.student_id = p_student);
$$;

-- A counsellor's own students: who approves their leave and corrects
-- their records, and whose courses the counsellor sees.
CREATE OR REPLACE FUNCTION auth.counselled_students(p_caller uuid)
RETURNS TABLE (student_id uuid) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT c.student_id FROM auth.counsellor_scope(p_caller) c;
$$;

CREATE OR REPLACE FUNCTION auth.is_counsellor_of(p_caller uuid,
    p_student uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT p_student IN (SELECT c.student_id
	    FROM auth.counsellor_scope(p_caller) c);
$$;

-- Who counsels a student (told of their leave applications).
CREATE OR REPLACE FUNCTION auth.counsellors_of(p_student uuid)
RETURNS TABLE (staff_id uuid) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT s.staff_id FROM auth.staff_scopes s
	JOIN auth.account_roles r ON r.account_id = s.staff_id
	    AND r.role = 'counsellor'
	WHERE s.scope = 'student' AND s.value = p_student::text;
$$;

-- A school secretary with this school in scope.
CREATE OR REPLACE FUNCTION auth.manages_school(p_caller uuid,
    p_school text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT p_school IN (SELECT s.school FROM auth.secretary_scope(p_caller) s);
$$;

GRANT EXECUTE ON FUNCTION auth.visible_students(uuid),
    auth.can_read_student(uuid, uuid), auth.counselled_students(uuid),
    auth.is_counsellor_of(uuid, uuid), auth.counsellors_of(uuid),
    auth.manages_school(uuid, text)
    TO is_attendance;

GRANT EXECUTE ON FUNCTION auth.visible_students(uuid),
    auth.can_read_student(uuid, uuid) TO is_profile;

-- An account's roles as the database has them now (a token's may be up to
-- its lifetime old): what a role may open is decided on these.
CREATE OR REPLACE FUNCTION auth.roles_of(p_account uuid)
RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce(array_agg(r.role ORDER BY r.role), '{}')
	FROM auth.account_roles r WHERE r.account_id = p_account;
$$;

GRANT EXECUTE ON FUNCTION auth.roles_of(uuid) TO is_profile;

-- Who may write a letter to whom (messaging): staff to other staff and to
-- the students they may see; a student to the International Office, their
-- counsellors and their school's secretaries. Replies follow letters
-- received (messaging checks that). Disabled accounts neither.
CREATE OR REPLACE FUNCTION auth.may_write(p_sender uuid, p_recipient uuid)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT p_sender <> p_recipient AND coalesce((
	    SELECT CASE WHEN s.kind = 'staff' THEN r.kind = 'staff'
		OR r.id IN (SELECT v.student_id
		    FROM auth.scope_students(p_sender) v)
	    ELSE r.kind = 'staff' AND (EXISTS (SELECT 1
		FROM auth.account_roles ro WHERE ro.account_id = r.id
		AND ro.role = 'io')
		OR p_sender IN (SELECT c.student_id
		    FROM auth.counsellor_scope(r.id) c)
		OR s.school IN (SELECT x.school
		    FROM auth.secretary_scope(r.id) x)) END
	    FROM auth.accounts s, auth.accounts r
	    WHERE s.id = p_sender AND r.id = p_recipient
		AND NOT s.disabled AND NOT r.disabled), false);
$$;

-- Accounts by login name (any case); names not found are left out.
CREATE OR REPLACE FUNCTION auth.accounts_named(p_logins text[])
RETURNS TABLE (login text, id uuid) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT l, a.id FROM unnest(p_logins) l
	JOIN auth.accounts a ON lower(a.login) = lower(l);
$$;

GRANT EXECUTE ON FUNCTION auth.may_write(uuid, uuid),
    auth.accounts_named(text[]) TO is_messaging;
GRANT EXECUTE ON FUNCTION auth.people(uuid[]) TO is_messaging;

-- A notice's audience (messaging): the students the caller may see that
-- are in it. p_kind: all, school, cohort, degree, nationality (p_value
-- names which) or list (p_list: student IDs). Each with the name it is
-- addressed by and the address it is mailed to (verified only).
CREATE OR REPLACE FUNCTION auth.audience(p_caller uuid, p_kind text,
    p_value text, p_list text[])
RETURNS TABLE (id uuid, login text, name text, email text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT a.id, a.login, a.given_name || ' ' || a.family_name,
	    CASE WHEN a.email_verified_at IS NOT NULL THEN a.email END
	FROM auth.accounts a
	WHERE a.kind = 'student' AND NOT a.disabled
	    AND a.id IN (SELECT v.student_id FROM auth.scope_students(p_caller) v)
	    AND CASE p_kind
		WHEN 'all' THEN true
		WHEN 'school' THEN a.school = p_value
		WHEN 'cohort' THEN a.cohort::text = p_value
		WHEN 'degree' THEN a.degree = p_value
		WHEN 'nationality' THEN lower(a.nationality) = lower(p_value)
		WHEN 'list' THEN lower(a.login) IN (SELECT lower(l)
		    FROM unnest(p_list) l)
		ELSE false END;
$$;

GRANT EXECUTE ON FUNCTION auth.audience(uuid, text, text, text[])
    TO is_messaging;
