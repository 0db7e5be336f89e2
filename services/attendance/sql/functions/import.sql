-- Timetable imports (rooms, courses, enrolments, sessions): idempotent,
-- with a per-row report of what was refused and why.

-- The per-row outcome of an import: counts and a rejection report.
CREATE OR REPLACE FUNCTION attendance.import_result(p_created int, p_updated int,
    p_unchanged int, p_rejected jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('created', p_created, 'updated', p_updated,
	    'unchanged', p_unchanged, 'rejected', p_rejected);
$$;

CREATE OR REPLACE FUNCTION attendance.row_error(p_row jsonb, p_field text,
    p_message text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_array(jsonb_build_object('row', p_row->'row',
	    'errors', jsonb_build_array(jsonb_build_object('field', p_field,
	    'message', p_message))));
$$;

CREATE OR REPLACE FUNCTION attendance.import_rooms(p_caller uuid, p_roles text[],
    p_rows jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	v_new	boolean;
	n_new	int := 0;
	n_upd	int := 0;
	n_same	int := 0;
	v_rej	jsonb := '[]';
BEGIN
	IF NOT p_roles && ARRAY['admin', 'io', 'secretary'] THEN
		RETURN attendance.err('forbidden');
	END IF;
	FOR r IN SELECT value FROM jsonb_array_elements(p_rows) LOOP
		BEGIN
			INSERT INTO attendance.rooms AS t (code, name, latitude,
			    longitude, radius_m)
			VALUES (r->>'code', r->>'name', (r->>'latitude')::float8,
			    (r->>'longitude')::float8, (r->>'radius_m')::int)
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
			    latitude = EXCLUDED.latitude,
			    longitude = EXCLUDED.longitude,
			    radius_m = EXCLUDED.radius_m
			WHERE (t.name, t.latitude, t.longitude, t.radius_m)
			    IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.latitude,
			    EXCLUDED.longitude, EXCLUDED.radius_m)
			RETURNING (xmax = 0) INTO v_new;
			IF NOT FOUND THEN n_same := n_same + 1;
			ELSIF v_new THEN n_new := n_new + 1;
			ELSE n_upd := n_upd + 1;
			END IF;
		EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
			v_rej := v_rej || attendance.row_error(r, '', SQLERRM);
		END;
	END LOOP;
	PERFORM attendance.audit(p_caller, 'import.rooms', NULL, NULL, NULL,
	    NULL, jsonb_build_object('created', n_new, 'updated', n_upd),
	    p_request_id, p_client);
	RETURN attendance.import_result(n_new, n_upd, n_same, v_rej);
END $$;

CREATE OR REPLACE FUNCTION attendance.import_courses(p_caller uuid, p_roles text[],
    p_rows jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r		jsonb;
	v_new		boolean;
	v_teacher	uuid;
	n_new		int := 0;
	n_upd		int := 0;
	n_same		int := 0;
	v_rej		jsonb := '[]';
BEGIN
	IF NOT p_roles && ARRAY['admin', 'io', 'secretary'] THEN
		RETURN attendance.err('forbidden');
	END IF;
	FOR r IN SELECT value FROM jsonb_array_elements(p_rows) LOOP
		v_teacher := NULL;
		IF coalesce(r->>'teacher', '') <> '' THEN
			v_teacher := auth.account_id(r->>'teacher', 'teacher');
			IF v_teacher IS NULL THEN
				v_rej := v_rej || attendance.row_error(r,
				    'teacher', 'is not a teacher''s staff ID');
				CONTINUE;
			END IF;
		END IF;
		IF NOT attendance.can_manage_school(p_caller, p_roles,
		    r->>'school') THEN
			v_rej := v_rej || attendance.row_error(r, 'school',
			    'is not a school you manage');
			CONTINUE;
		END IF;
		BEGIN
			INSERT INTO attendance.courses AS t (code, school_year,
			    semester, name_en, name_zh, hours, teacher_id, school)
			VALUES (r->>'code', r->>'school_year',
			    (r->>'semester')::smallint, r->>'name_en',
			    NULLIF(r->>'name_zh', ''), (r->>'hours')::numeric,
			    v_teacher, r->>'school')
			ON CONFLICT (code, school_year, semester) DO UPDATE SET
			    name_en = EXCLUDED.name_en, name_zh = EXCLUDED.name_zh,
			    hours = EXCLUDED.hours,
			    teacher_id = EXCLUDED.teacher_id,
			    school = EXCLUDED.school
			WHERE (t.name_en, t.name_zh, t.hours, t.teacher_id,
			    t.school) IS DISTINCT FROM (EXCLUDED.name_en,
			    EXCLUDED.name_zh, EXCLUDED.hours, EXCLUDED.teacher_id,
			    EXCLUDED.school)
			    AND attendance.can_manage_school(p_caller, p_roles,
			    t.school)
			RETURNING (xmax = 0) INTO v_new;
			IF NOT FOUND THEN n_same := n_same + 1;
			ELSIF v_new THEN n_new := n_new + 1;
			ELSE n_upd := n_upd + 1;
			END IF;
		EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
			v_rej := v_rej || attendance.row_error(r, '', SQLERRM);
		END;
	END LOOP;
	PERFORM attendance.audit(p_caller, 'import.courses', NULL, NULL, NULL,
	    NULL, jsonb_build_object('created', n_new, 'updated', n_upd),
	    p_request_id, p_client);
	RETURN attendance.import_result(n_new, n_upd, n_same, v_rej);
END $$;

-- The course a timetable or enrolment row names, if the caller manages it.
CREATE OR REPLACE FUNCTION attendance.row_course(p_caller uuid, p_roles text[],
    r jsonb, OUT course_id uuid, OUT problem text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_school text;
BEGIN
	SELECT c.id, c.school INTO course_id, v_school
	FROM attendance.courses c
	WHERE c.code = r->>'course_code' AND c.school_year = r->>'school_year'
	    AND c.semester = (r->>'semester')::smallint;
	IF course_id IS NULL THEN
		problem := 'names no imported course';
	ELSIF NOT attendance.can_manage_school(p_caller, p_roles, v_school) THEN
		course_id := NULL;
		problem := 'is a course of a school you do not manage';
	END IF;
END $$;

CREATE OR REPLACE FUNCTION attendance.import_enrolments(p_caller uuid, p_roles text[],
    p_rows jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r		jsonb;
	v_course	record;
	v_student	uuid;
	n_new		int := 0;
	n_same		int := 0;
	v_rej		jsonb := '[]';
BEGIN
	IF NOT p_roles && ARRAY['admin', 'io', 'secretary'] THEN
		RETURN attendance.err('forbidden');
	END IF;
	FOR r IN SELECT value FROM jsonb_array_elements(p_rows) LOOP
		v_course := attendance.row_course(p_caller, p_roles, r);
		IF v_course.course_id IS NULL THEN
			v_rej := v_rej || attendance.row_error(r, 'course_code',
			    v_course.problem);
			CONTINUE;
		END IF;
		v_student := auth.account_id(r->>'student_id', 'student');
		IF v_student IS NULL THEN
			v_rej := v_rej || attendance.row_error(r, 'student_id',
			    'is not an imported student');
			CONTINUE;
		END IF;
		INSERT INTO attendance.enrolments (course_id, student_id)
		VALUES (v_course.course_id, v_student)
		ON CONFLICT DO NOTHING;
		IF FOUND THEN n_new := n_new + 1; ELSE n_same := n_same + 1; END IF;
	END LOOP;
	PERFORM attendance.audit(p_caller, 'import.enrolments', NULL, NULL,
	    NULL, NULL, jsonb_build_object('created', n_new), p_request_id,
	    p_client);
	RETURN attendance.import_result(n_new, 0, n_same, v_rej);
END $$;

CREATE OR REPLACE FUNCTION attendance.import_sessions(p_caller uuid, p_roles text[],
    p_rows jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r		jsonb;
	v_course	record;
	v_tz		text;
	v_start		timestamptz;
	v_end		timestamptz;
	v_new		boolean;
	n_new		int := 0;
	n_upd		int := 0;
	n_same		int := 0;
	v_rej		jsonb := '[]';
BEGIN
	IF NOT p_roles && ARRAY['admin', 'io', 'secretary'] THEN
		RETURN attendance.err('forbidden');
	END IF;
	SELECT timezone INTO v_tz FROM attendance.policy;
	FOR r IN SELECT value FROM jsonb_array_elements(p_rows) LOOP
		v_course := attendance.row_course(p_caller, p_roles, r);
		IF v_course.course_id IS NULL THEN
			v_rej := v_rej || attendance.row_error(r, 'course_code',
			    v_course.problem);
			CONTINUE;
		END IF;
		BEGIN
			v_start := ((r->>'date')::date + (r->>'start')::time)
			    AT TIME ZONE v_tz;
			v_end := ((r->>'date')::date + (r->>'end')::time)
			    AT TIME ZONE v_tz;
			-- While check-in is open its room and method stay:
			-- scans are judged against them (locked: it cannot
			-- open meanwhile).
			PERFORM 1 FROM attendance.class_sessions
			WHERE course_id = v_course.course_id
			    AND starts_at = v_start FOR UPDATE;
			IF EXISTS (SELECT 1 FROM attendance.class_sessions s
			    WHERE s.course_id = v_course.course_id
				AND s.starts_at = v_start
				AND s.checkin_opened_at IS NOT NULL
				AND s.checkin_closed_at IS NULL
				AND now() < s.ends_at
				AND (s.room, s.method) IS DISTINCT FROM
				    (NULLIF(r->>'room', ''), coalesce(NULLIF(
				    r->>'method', ''), 'qr'))) THEN
				v_rej := v_rej || attendance.row_error(r, 'room',
				    'check-in is open: change the room or '
				    'method once it is closed');
				CONTINUE;
			END IF;
			INSERT INTO attendance.class_sessions AS t (course_id,
			    starts_at, ends_at, room, hours, method)
			VALUES (v_course.course_id, v_start, v_end,
			    NULLIF(r->>'room', ''), (r->>'hours')::numeric,
			    coalesce(NULLIF(r->>'method', ''), 'qr'))
			ON CONFLICT (course_id, starts_at) DO UPDATE SET
			    ends_at = EXCLUDED.ends_at, room = EXCLUDED.room,
			    hours = EXCLUDED.hours, method = EXCLUDED.method
			WHERE (t.ends_at, t.room, t.hours, t.method)
			    IS DISTINCT FROM (EXCLUDED.ends_at, EXCLUDED.room,
			    EXCLUDED.hours, EXCLUDED.method)
			RETURNING (xmax = 0) INTO v_new;
			IF NOT FOUND THEN n_same := n_same + 1;
			ELSIF v_new THEN n_new := n_new + 1;
			ELSE n_upd := n_upd + 1;
			END IF;
		EXCEPTION WHEN data_exception OR integrity_constraint_violation THEN
			v_rej := v_rej || attendance.row_error(r, '', SQLERRM);
		END;
	END LOOP;
	PERFORM attendance.audit(p_caller, 'import.sessions', NULL, NULL,
	    NULL, NULL, jsonb_build_object('created', n_new, 'updated', n_upd),
	    p_request_id, p_client);
	RETURN attendance.import_result(n_new, n_upd, n_same, v_rej);
END $$;
