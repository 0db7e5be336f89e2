-- Who may see and run what in attendance. Which students a member of
-- staff may see is auth's rule (auth.visible_students,
-- auth.can_read_student); attendance adds what only it knows: a course's
-- teacher sees the course's students. Role gates use the roles of the
-- caller's token (p_roles).

CREATE OR REPLACE FUNCTION attendance.is_office(p_roles text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT p_roles && ARRAY['io', 'finance', 'leader', 'admin'];
$$;

-- Who may read a student's whole attendance (every course, the audit
-- trail): auth's rule (offices, counsellors, the school's secretary). A
-- teacher is not among them: a teacher sees the courses they teach
-- (attendance.teaches), and of leave only the fact (attendance.leave_for).
CREATE OR REPLACE FUNCTION attendance.can_read_student(p_caller uuid, p_roles text[],
    p_student uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT p_roles <> ARRAY['student']
	    AND auth.can_read_student(p_caller, p_student);
$$;

-- The caller teaches a course the student is enrolled in.
CREATE OR REPLACE FUNCTION attendance.teaches(p_caller uuid, p_roles text[],
    p_student uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT 'teacher' = ANY (p_roles) AND EXISTS (
	    SELECT 1 FROM attendance.enrolments e
	    JOIN attendance.courses c ON c.id = e.course_id
	    WHERE e.student_id = p_student AND c.teacher_id = p_caller);
$$;

-- Medical data (leave reasons, certificates) is for the student and their
-- counsellors.
CREATE OR REPLACE FUNCTION attendance.reads_medical(p_caller uuid, p_roles text[],
    p_student uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT p_caller = p_student OR ('counsellor' = ANY (p_roles)
	    AND auth.is_counsellor_of(p_caller, p_student));
$$;

-- Students whose attendance the caller may list (staff views): auth's rule.
CREATE OR REPLACE FUNCTION attendance.visible_students(p_caller uuid, p_roles text[])
RETURNS TABLE (student_id uuid) LANGUAGE sql STABLE AS $$
	SELECT v.student_id FROM auth.visible_students(p_caller) v
	WHERE p_roles <> ARRAY['student'];
$$;

-- A course is visible to the offices, its teacher, the secretary of its
-- school, its students, and the counsellors of its students.
CREATE OR REPLACE FUNCTION attendance.can_see_course(p_caller uuid, p_roles text[],
    p_course uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT attendance.is_office(p_roles)
	    OR EXISTS (SELECT 1 FROM attendance.courses c WHERE c.id = p_course
		AND (c.teacher_id = p_caller OR ('secretary' = ANY (p_roles)
		AND auth.manages_school(p_caller, c.school))))
	    OR EXISTS (SELECT 1 FROM attendance.enrolments e
		WHERE e.course_id = p_course AND (e.student_id = p_caller
		OR ('counsellor' = ANY (p_roles) AND e.student_id IN (
		    SELECT c.student_id FROM auth.counselled_students(p_caller) c))));
$$;

-- The teacher of the session's course (or an admin) may run it.
CREATE OR REPLACE FUNCTION attendance.runs_session(p_caller uuid, p_roles text[],
    p_session uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT 'admin' = ANY (p_roles) OR EXISTS (
	    SELECT 1 FROM attendance.class_sessions s
	    JOIN attendance.courses c ON c.id = s.course_id
	    WHERE s.id = p_session AND c.teacher_id = p_caller
	    AND 'teacher' = ANY (p_roles));
$$;

-- Admins and the International Office manage every course; a school
-- secretary the courses of their school.
CREATE OR REPLACE FUNCTION attendance.can_manage_school(p_caller uuid, p_roles text[],
    p_school text) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT p_roles && ARRAY['admin', 'io'] OR ('secretary' = ANY (p_roles)
	    AND auth.manages_school(p_caller, p_school));
$$;
