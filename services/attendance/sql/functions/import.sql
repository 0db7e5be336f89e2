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

-- Rooms and their geofences are the International Office's (and admin's):
-- a room serves every school.
CREATE OR REPLACE FUNCTION attendance.import_rooms(p_caller uuid, p_roles text[],
    p_rows jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	v_old	attendance.rooms;
	v_new	attendance.rooms;
	n_new	int := 0;
	n_upd	int := 0;
	n_same	int := 0;
	v_rej	jsonb := '[]';
BEGIN
	IF NOT p_roles && ARRAY['admin', 'io'] THEN
		RETURN attendance.err('forbidden', 'Rooms are managed by the '
		    'International Office');
	END IF;
	FOR r IN SELECT value FROM jsonb_array_elements(p_rows) LOOP
		BEGIN
			SELECT * INTO v_old FROM attendance.rooms
			WHERE code = r->>'code' FOR UPDATE;
			v_new := jsonb_populate_record(v_old, r - 'row');
			IF v_old.code IS NULL THEN
				INSERT INTO attendance.rooms SELECT (v_new).*;
				n_new := n_new + 1;
			ELSIF v_old IS DISTINCT FROM v_new THEN
				UPDATE attendance.rooms SET name = v_new.name,
				    latitude = v_new.latitude,
				    longitude = v_new.longitude,
				    radius_m = v_new.radius_m
				WHERE code = v_old.code;
				PERFORM attendance.audit(p_caller, 'room.updated',
				    NULL, NULL, to_jsonb(v_old), to_jsonb(v_new),
				    jsonb_build_object('row', r->'row'),
				    p_request_id, p_client);
				n_upd := n_upd + 1;
			ELSE
				n_same := n_same + 1;
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

-- Courses: a school's secretary imports their school's. A column the file
-- lacks (teacher, Chinese name) keeps the stored value; an empty cell
-- clears it. Each change is audited with its before and after.
CREATE OR REPLACE FUNCTION attendance.import_courses(p_caller uuid, p_roles text[],
    p_rows jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r		jsonb;
	v_teacher	uuid;
	v_old		attendance.courses;
	v_new		attendance.courses;
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
			SELECT * INTO v_old FROM attendance.courses
			WHERE code = r->>'code'
			    AND school_year = r->>'school_year'
			    AND semester = (r->>'semester')::smallint
			FOR UPDATE;
			IF v_old.id IS NOT NULL AND NOT attendance.can_manage_school(
			    p_caller, p_roles, v_old.school) THEN
				v_rej := v_rej || attendance.row_error(r,
				    'code', 'is a course of a school you do '
				    'not manage');
				CONTINUE;
			END IF;
			v_new := jsonb_populate_record(v_old,
			    jsonb_build_object('id', coalesce(v_old.id,
				gen_random_uuid()), 'code', r->'code',
				'school_year', r->'school_year',
				'semester', r->'semester', 'name_en', r->'name_en',
				'hours', r->'hours', 'school', r->'school')
			    || CASE WHEN r ? 'name_zh' THEN jsonb_build_object(
				'name_zh', NULLIF(r->>'name_zh', '')) ELSE '{}' END
			    || CASE WHEN r ? 'teacher' THEN jsonb_build_object(
				'teacher_id', v_teacher) ELSE '{}' END);
			IF v_old.id IS NULL THEN
				INSERT INTO attendance.courses SELECT (v_new).*;
				n_new := n_new + 1;
			ELSIF v_old IS DISTINCT FROM v_new THEN
				UPDATE attendance.courses SET
				    name_en = v_new.name_en,
				    name_zh = v_new.name_zh,
				    hours = v_new.hours,
				    teacher_id = v_new.teacher_id,
				    school = v_new.school
				WHERE id = v_old.id;
				PERFORM attendance.audit(p_caller,
				    'course.updated', NULL, NULL,
				    to_jsonb(v_old), to_jsonb(v_new),
				    jsonb_build_object('row', r->'row'),
				    p_request_id, p_client);
				n_upd := n_upd + 1;
			ELSE
				n_same := n_same + 1;
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

-- The student an enrolment row names, if the caller may enrol them: a
-- secretary only their school's students (auth's scope rule).
CREATE OR REPLACE FUNCTION attendance.row_student(p_caller uuid, p_roles text[],
    r jsonb, OUT student_id uuid, OUT problem text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
	student_id := auth.account_id(r->>'student_id', 'student');
	IF student_id IS NULL THEN
		problem := 'is not an imported student';
	ELSIF NOT (p_roles && ARRAY['admin', 'io']
	    OR auth.can_read_student(p_caller, student_id)) THEN
		student_id := NULL;
		problem := 'is a student of a school you do not manage';
	END IF;
END $$;

-- Enrolments (p_withdraw false) and withdrawals (true) share the checks. A
-- withdrawal removes the enrolment: the course's sessions no longer count
-- for the student; their records stay. Once the course has held sessions
-- that takes their absences out of the rates, so it needs a reason, the
-- audit names the records by status, and the student's counsellors are
-- told.
CREATE OR REPLACE FUNCTION attendance.enrolment_rows(p_caller uuid, p_roles text[],
    p_rows jsonb, p_withdraw boolean, p_request_id text, p_client text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	r		jsonb;
	v_course	record;
	v_student	record;
	n_done		int := 0;
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
		v_student := attendance.row_student(p_caller, p_roles, r);
		IF v_student.student_id IS NULL THEN
			v_rej := v_rej || attendance.row_error(r, 'student_id',
			    v_student.problem);
			CONTINUE;
		END IF;
		IF p_withdraw AND coalesce(r->>'reason', '') = '' AND EXISTS (
		    SELECT 1 FROM attendance.class_sessions s
		    WHERE s.course_id = v_course.course_id
		    AND s.starts_at < now()) THEN
			v_rej := v_rej || attendance.row_error(r, 'reason',
			    'is required: the course has held sessions, whose '
			    'absences would leave the rates');
			CONTINUE;
		END IF;
		IF p_withdraw THEN
			DELETE FROM attendance.enrolments
			WHERE course_id = v_course.course_id
			    AND student_id = v_student.student_id;
		ELSE
			INSERT INTO attendance.enrolments (course_id, student_id)
			VALUES (v_course.course_id, v_student.student_id)
			ON CONFLICT DO NOTHING;
		END IF;
		IF NOT FOUND THEN
			n_same := n_same + 1;
			CONTINUE;
		END IF;
		n_done := n_done + 1;
		IF p_withdraw THEN
			PERFORM attendance.withdrawn(p_caller, v_course.course_id,
			    v_student.student_id, r, p_request_id, p_client);
		END IF;
	END LOOP;
	PERFORM attendance.audit(p_caller, CASE WHEN p_withdraw
	    THEN 'import.withdrawals' ELSE 'import.enrolments' END, NULL, NULL,
	    NULL, NULL, jsonb_build_object(CASE WHEN p_withdraw THEN 'withdrawn'
	    ELSE 'created' END, n_done), p_request_id, p_client);
	RETURN jsonb_build_object('created', CASE WHEN p_withdraw THEN 0
	    ELSE n_done END, 'withdrawn', CASE WHEN p_withdraw THEN n_done
	    ELSE 0 END, 'updated', 0, 'unchanged', n_same, 'rejected', v_rej);
END $$;

-- A withdrawal's trail: audited with its reason and the student's records
-- in the course by status, and told to the student's counsellors.
CREATE OR REPLACE FUNCTION attendance.withdrawn(p_caller uuid, p_course uuid,
    p_student uuid, r jsonb, p_request_id text, p_client text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_records	jsonb;
	v_code		text;
BEGIN
	SELECT coalesce(jsonb_object_agg(t.status, t.n), '{}') INTO v_records
	FROM (SELECT x.status, count(*) AS n FROM attendance.records x
	    JOIN attendance.class_sessions s ON s.id = x.session_id
	    WHERE s.course_id = p_course AND x.student_id = p_student
	    GROUP BY x.status) t;
	PERFORM attendance.audit(p_caller, 'enrolment.withdrawn', p_student,
	    NULL, jsonb_build_object('course_id', p_course), NULL,
	    jsonb_strip_nulls(jsonb_build_object('row', r->'row', 'reason',
	    NULLIF(r->>'reason', ''), 'records_kept', v_records)),
	    p_request_id, p_client);
	SELECT code INTO v_code FROM attendance.courses WHERE id = p_course;
	PERFORM messaging.post_inbox(c.staff_id, 'attendance.withdrawal',
	    'Withdrawn from ' || v_code, attendance.login_of(p_student) ||
	    ' was withdrawn from ' || v_code || coalesce(': ' ||
	    NULLIF(r->>'reason', ''), ''), jsonb_build_object('course_id',
	    p_course, 'student', attendance.login_of(p_student)), p_caller)
	FROM auth.counsellors_of(p_student) c;
END $$;

CREATE OR REPLACE FUNCTION attendance.import_enrolments(p_caller uuid, p_roles text[],
    p_rows jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT attendance.enrolment_rows(p_caller, p_roles, p_rows, false,
	    p_request_id, p_client);
$$;

CREATE OR REPLACE FUNCTION attendance.import_withdrawals(p_caller uuid, p_roles text[],
    p_rows jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT attendance.enrolment_rows(p_caller, p_roles, p_rows, true,
	    p_request_id, p_client);
$$;

-- Sessions of the caller's courses. A column the file lacks (room, method)
-- keeps the stored value. A session that starts in the past is already
-- counted (held without a record is skipped): creating or changing one
-- needs a reason, and is audited with it. While check-in is open, the
-- room and method stay: scans are judged against them.
CREATE OR REPLACE FUNCTION attendance.import_sessions(p_caller uuid, p_roles text[],
    p_rows jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r		jsonb;
	v_course	record;
	v_tz		text;
	v_start		timestamptz;
	v_end		timestamptz;
	v_old		attendance.class_sessions;
	v_new		attendance.class_sessions;
	v_reason	text;
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
		v_reason := NULLIF(r->>'reason', '');
		BEGIN
			v_start := ((r->>'date')::date + (r->>'start')::time)
			    AT TIME ZONE v_tz;
			v_end := ((r->>'date')::date + (r->>'end')::time)
			    AT TIME ZONE v_tz;
			-- Locked: check-in cannot open meanwhile.
			SELECT * INTO v_old FROM attendance.class_sessions
			WHERE course_id = v_course.course_id
			    AND starts_at = v_start FOR UPDATE;
			v_new := jsonb_populate_record(v_old, jsonb_build_object(
			    'id', coalesce(v_old.id, gen_random_uuid()),
			    'course_id', v_course.course_id,
			    'starts_at', v_start, 'ends_at', v_end,
			    'hours', r->'hours')
			    || CASE WHEN r ? 'room' OR v_old.id IS NULL
				THEN jsonb_build_object('room',
				NULLIF(r->>'room', '')) ELSE '{}' END
			    || CASE WHEN r ? 'method' OR v_old.id IS NULL
				THEN jsonb_build_object('method', coalesce(
				NULLIF(r->>'method', ''), 'qr')) ELSE '{}' END);
			IF v_old.id IS NOT NULL AND v_old IS NOT DISTINCT FROM v_new
			THEN
				n_same := n_same + 1;
				CONTINUE;
			END IF;
			IF v_old.checkin_opened_at IS NOT NULL
			    AND v_old.checkin_closed_at IS NULL
			    AND now() < v_old.ends_at
			    AND (v_old.room, v_old.method) IS DISTINCT FROM
				(v_new.room, v_new.method) THEN
				v_rej := v_rej || attendance.row_error(r, 'room',
				    'check-in is open: change the room or '
				    'method once it is closed');
				CONTINUE;
			END IF;
			IF v_start < now() AND v_reason IS NULL THEN
				v_rej := v_rej || attendance.row_error(r, 'reason',
				    'is required for a session in the past: it '
				    'changes attendance already counted');
				CONTINUE;
			END IF;
			IF v_old.id IS NULL THEN
				INSERT INTO attendance.class_sessions
				SELECT (v_new).*;
				n_new := n_new + 1;
			ELSE
				UPDATE attendance.class_sessions SET
				    ends_at = v_new.ends_at, room = v_new.room,
				    hours = v_new.hours, method = v_new.method
				WHERE id = v_old.id;
				n_upd := n_upd + 1;
			END IF;
			IF v_old.id IS NOT NULL OR v_start < now() THEN
				PERFORM attendance.audit(p_caller, CASE
				    WHEN v_old.id IS NULL THEN 'session.created'
				    ELSE 'session.updated' END, NULL, v_new.id,
				    CASE WHEN v_old.id IS NOT NULL
					THEN to_jsonb(v_old) END, to_jsonb(v_new),
				    jsonb_strip_nulls(jsonb_build_object('row',
					r->'row', 'reason', v_reason,
					'past', v_start < now())),
				    p_request_id, p_client);
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
