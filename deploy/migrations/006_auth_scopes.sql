-- Who may read a student's data: the student, their counsellor, their
-- school's secretary, and the university-wide offices (IO, finance,
-- leaders, admins). Teachers' access depends on courses and is decided by
-- the attendance service. Other services call this in their queries so a
-- scope check is part of the same round trip.
CREATE FUNCTION auth.can_read_student(p_caller uuid, p_student uuid)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT p_caller = p_student
	    OR EXISTS (SELECT 1 FROM auth.account_roles r
		WHERE r.account_id = p_caller
		AND r.role IN ('io', 'finance', 'leader', 'admin'))
	    OR EXISTS (SELECT 1 FROM auth.staff_scopes s
		JOIN auth.account_roles r ON r.account_id = s.staff_id
		    AND r.role = 'counsellor'
		WHERE s.staff_id = p_caller AND s.scope = 'student'
		AND s.value = p_student::text)
	    OR EXISTS (SELECT 1 FROM auth.staff_scopes s
		JOIN auth.account_roles r ON r.account_id = s.staff_id
		    AND r.role = 'secretary'
		JOIN auth.accounts st ON st.id = p_student
		WHERE s.staff_id = p_caller AND s.scope = 'school'
		AND s.value = st.school);
$$;
