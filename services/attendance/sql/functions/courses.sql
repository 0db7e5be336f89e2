-- Courses the caller may see, and a course's sessions.
CREATE OR REPLACE FUNCTION attendance.courses_list(p_caller uuid, p_roles text[],
    p_school_year text, p_semester int, p_limit int, p_offset int)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	WITH visible AS (
		SELECT c.* FROM attendance.courses c
		WHERE (p_school_year IS NULL OR c.school_year = p_school_year)
		AND (p_semester IS NULL OR c.semester = p_semester)
		AND (c.teacher_id = p_caller
		    OR EXISTS (SELECT 1 FROM attendance.enrolments e
			WHERE e.course_id = c.id AND e.student_id = p_caller)
		    OR (NOT p_roles = ARRAY['student']
			AND attendance.can_see_course(p_caller, p_roles, c.id))))
	SELECT jsonb_build_object(
	    'total', (SELECT count(*) FROM visible),
	    'limit', p_limit, 'offset', p_offset,
	    'items', coalesce((SELECT jsonb_agg(attendance.course_json(v)
		ORDER BY v.school_year DESC, v.semester DESC, v.code)
		FROM (SELECT * FROM visible
		    ORDER BY school_year DESC, semester DESC, code
		    LIMIT p_limit OFFSET p_offset) v), '[]'));
$$;

-- A course's sessions; a student sees their own record of each.
CREATE OR REPLACE FUNCTION attendance.course_sessions(p_caller uuid, p_roles text[],
    p_course uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM attendance.courses
	    WHERE id = p_course) OR NOT attendance.can_see_course(p_caller,
	    p_roles, p_course) THEN attendance.err('not-found')
	ELSE jsonb_build_object('course', (SELECT attendance.course_json(c)
	    FROM attendance.courses c WHERE c.id = p_course),
	    'items', coalesce((SELECT jsonb_agg(attendance.session_json(s.id)
		|| jsonb_strip_nulls(jsonb_build_object('my_status',
		    (SELECT r.status FROM attendance.records r
		    WHERE r.session_id = s.id AND r.student_id = p_caller)))
		ORDER BY s.starts_at)
		FROM attendance.class_sessions s WHERE s.course_id = p_course),
		'[]'))
	END;
$$;
