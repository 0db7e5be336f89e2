-- Attendance rates: one student's per semester and course (to a teacher,
-- only the courses they teach), and the students in a member of staff's
-- scope.

CREATE OR REPLACE FUNCTION attendance.student_rates(p_caller uuid,
    p_roles text[], p_student_login text, p_school_year text,
    p_semester int)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_student uuid := coalesce(attendance.student_by_login(
	    p_student_login), CASE WHEN p_student_login IS NULL
	    THEN p_caller END);
	v_whole boolean := v_student = p_caller
	    OR attendance.can_read_student(p_caller, p_roles, v_student);
BEGIN
	IF v_student IS NULL OR NOT (v_whole
	    OR attendance.teaches(p_caller, p_roles, v_student)) THEN
		RETURN attendance.err('not-found');
	END IF;
	RETURN (
	    WITH t AS (SELECT t.*, c.school_year, c.semester, c.code,
		    c.name_en, c.name_zh
		FROM attendance.stats(ARRAY[v_student], p_school_year,
		    p_semester, '-infinity', 'infinity') t
		JOIN attendance.courses c ON c.id = t.course_id
		WHERE v_whole OR c.teacher_id = p_caller),
	    sem AS (SELECT t.school_year, t.semester,
		jsonb_build_object('school_year', t.school_year,
		    'semester', t.semester)
		|| attendance.rates_summary(sum(t.course_hours),
		    sum(t.held_hours), sum(t.absence_hours))
		|| jsonb_build_object('courses', jsonb_agg(
		    jsonb_build_object('course_id', t.course_id,
		    'code', t.code, 'name_en', t.name_en,
		    'name_zh', t.name_zh, 'course_hours', t.course_hours,
		    'hours_held', t.held_hours, 'late', t.late,
		    'left_early', t.left_early,
		    'personal_leave', t.personal_leave,
		    'sick_leave', t.sick_leave, 'skipped', t.skipped,
		    'late_absent', t.late_absent,
		    'absence_hours', t.absence_hours,
		    'attended_hours', t.held_hours - t.absence_hours)
		    ORDER BY t.code)) AS doc
		FROM t GROUP BY t.school_year, t.semester)
	    SELECT jsonb_build_object(
		'student', attendance.student_brief(v_student),
		'policy', (SELECT jsonb_build_object('late_per_absence',
		    late_per_absence, 'early_per_absence', early_per_absence)
		    FROM attendance.policy),
		'semesters', coalesce((SELECT jsonb_agg(sem.doc
		    ORDER BY sem.school_year DESC, sem.semester DESC)
		    FROM sem), '[]')));
END $$;

-- Students in the caller's scope with their semester figures.
CREATE OR REPLACE FUNCTION attendance.rates_list(p_caller uuid, p_roles text[],
    p_school_year text, p_semester int, p_limit int, p_offset int)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	WITH ids AS (
		SELECT v.student_id FROM attendance.visible_students(p_caller,
		    p_roles) v
		WHERE EXISTS (SELECT 1 FROM attendance.enrolments e
		    JOIN attendance.courses c ON c.id = e.course_id
		    WHERE e.student_id = v.student_id
		    AND c.school_year = p_school_year
		    AND c.semester = p_semester)),
	visible AS (
		SELECT p.id, p.login
		FROM auth.people(ARRAY(SELECT student_id FROM ids)) p)
	SELECT jsonb_build_object('total', (SELECT count(*) FROM visible),
	    'limit', p_limit, 'offset', p_offset,
	    'school_year', p_school_year, 'semester', p_semester,
	    'items', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'student', attendance.student_brief(p.id))
		|| attendance.semester_summary(p.id, p_school_year, p_semester)
		ORDER BY p.login)
		FROM (SELECT * FROM visible ORDER BY login
		    LIMIT p_limit OFFSET p_offset) p), '[]'));
$$;
