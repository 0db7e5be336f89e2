-- The JSON documents attendance answers with. Names and IDs of people
-- come from auth (auth.people).

CREATE OR REPLACE FUNCTION attendance.student_brief(p_student uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', p.id, 'student_id', p.login,
	    'name', p.name, 'chinese_name', p.chinese_name, 'school', p.school)
	FROM auth.people(ARRAY[p_student]) p;
$$;

-- A member of staff's login, for audit entries and decisions.
CREATE OR REPLACE FUNCTION attendance.login_of(p_account uuid) RETURNS text
LANGUAGE sql STABLE AS $$
	SELECT p.login FROM auth.people(ARRAY[p_account]) p;
$$;

CREATE OR REPLACE FUNCTION attendance.record_json(r attendance.records) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('student', r.student_id,
	    'session_id', r.session_id, 'status', r.status, 'source', r.source,
	    'final', r.final, 'late_scan', r.late_scan,
	    'checked_in_at', r.checked_in_at,
	    'distance_m', round(r.distance_m::numeric, 1),
	    'updated_at', r.updated_at));
$$;

CREATE OR REPLACE FUNCTION attendance.session_json(p_session uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', s.id, 'course_id', c.id,
	    'course_code', c.code, 'course_name', c.name_en,
	    'course_name_zh', c.name_zh, 'starts_at', s.starts_at,
	    'ends_at', s.ends_at, 'room', s.room, 'hours', s.hours,
	    'method', s.method,
	    'checkin', CASE WHEN s.checkin_opened_at IS NULL THEN 'not_opened'
		WHEN s.checkin_closed_at IS NOT NULL THEN 'closed'
		ELSE 'open' END,
	    'checkin_opened_at', s.checkin_opened_at,
	    'checkin_closed_at', s.checkin_closed_at)
	FROM attendance.class_sessions s
	JOIN attendance.courses c ON c.id = s.course_id
	WHERE s.id = p_session;
$$;

CREATE OR REPLACE FUNCTION attendance.course_json(c attendance.courses) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', c.id, 'code', c.code,
	    'school_year', c.school_year, 'semester', c.semester,
	    'name_en', c.name_en, 'name_zh', c.name_zh, 'hours', c.hours,
	    'school', c.school,
	    'teacher', (SELECT jsonb_build_object('staff_id', p.login,
		'name', p.name) FROM auth.people(ARRAY[c.teacher_id]) p),
	    'enrolled', (SELECT count(*) FROM attendance.enrolments e
		WHERE e.course_id = c.id),
	    'sessions', (SELECT count(*) FROM attendance.class_sessions s
		WHERE s.course_id = c.id));
$$;
