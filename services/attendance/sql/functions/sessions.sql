-- Running a class: opening and closing check-in, the QR code's session,
-- the live view, and recording roll calls and sign-in sheets.

-- Who may run a session, as errors.md's rule says: NULL for its teacher
-- (or the offices, p_offices, for what they may watch); 403 for whoever
-- sees its course (its secretary, counsellors, students); 404 for others,
-- to whom it does not exist.
CREATE OR REPLACE FUNCTION attendance.session_refusal(p_caller uuid,
    p_roles text[], p_session uuid, p_offices boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE
	    WHEN s.id IS NULL THEN attendance.err('not-found')
	    WHEN attendance.runs_session(p_caller, p_roles, p_session)
		OR (p_offices AND attendance.is_office(p_roles)) THEN NULL
	    WHEN attendance.can_see_course(p_caller, p_roles, s.course_id)
		THEN attendance.err('forbidden', 'Only the course''s teacher '
		    'runs its sessions')
	    ELSE attendance.err('not-found') END
	FROM (SELECT 1) one
	LEFT JOIN attendance.class_sessions s ON s.id = p_session;
$$;

CREATE OR REPLACE FUNCTION attendance.session_open(p_caller uuid, p_roles text[],
    p_session uuid, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_s		attendance.class_sessions;
	v_early		int;
	v_refusal	jsonb;
BEGIN
	v_refusal := attendance.session_refusal(p_caller, p_roles, p_session,
	    false);
	IF v_refusal IS NOT NULL THEN
		RETURN v_refusal;
	END IF;
	SELECT * INTO v_s FROM attendance.class_sessions WHERE id = p_session
	FOR UPDATE;
	IF v_s.method <> 'qr' THEN
		RETURN attendance.err('checkin-not-qr');
	END IF;
	SELECT open_before_minutes INTO v_early FROM attendance.policy;
	IF now() < v_s.starts_at - make_interval(mins => v_early) THEN
		RETURN attendance.err('checkin-too-early', format(
		    'Check-in opens %s minutes before the start', v_early));
	END IF;
	IF now() >= v_s.ends_at THEN
		RETURN attendance.err('session-ended');
	END IF;
	UPDATE attendance.class_sessions
	SET checkin_opened_at = coalesce(checkin_opened_at, now()),
	    checkin_closed_at = NULL
	WHERE id = p_session;
	PERFORM attendance.audit(p_caller, 'checkin.opened', NULL, p_session,
	    NULL, NULL, NULL, p_request_id, p_client);
	RETURN attendance.session_json(p_session);
END $$;

CREATE OR REPLACE FUNCTION attendance.session_close(p_caller uuid, p_roles text[],
    p_session uuid, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_refusal	jsonb := attendance.session_refusal(p_caller, p_roles,
			    p_session, false);
BEGIN
	IF v_refusal IS NOT NULL THEN
		RETURN v_refusal;
	END IF;
	UPDATE attendance.class_sessions SET checkin_closed_at = now()
	WHERE id = p_session AND checkin_opened_at IS NOT NULL
	    AND checkin_closed_at IS NULL;
	IF NOT FOUND THEN
		RETURN attendance.err('checkin-closed',
		    'Check-in is not open for this session');
	END IF;
	PERFORM attendance.audit(p_caller, 'checkin.closed', NULL, p_session,
	    NULL, NULL, NULL, p_request_id, p_client);
	RETURN attendance.session_json(p_session);
END $$;

-- The session for which the teacher's screen shows a QR code.
CREATE OR REPLACE FUNCTION attendance.session_qr(p_caller uuid, p_roles text[],
    p_session uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(attendance.session_refusal(p_caller, p_roles,
	    p_session, false), CASE
	    WHEN EXISTS (SELECT 1 FROM attendance.class_sessions
		WHERE id = p_session AND checkin_opened_at IS NOT NULL
		AND checkin_closed_at IS NULL AND now() < ends_at)
		THEN attendance.session_json(p_session)
	    ELSE attendance.err('checkin-closed') END);
$$;

-- Live counts and who is missing, for the teacher during check-in.
CREATE OR REPLACE FUNCTION attendance.session_live(p_caller uuid, p_roles text[],
    p_session uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(attendance.session_refusal(p_caller, p_roles,
	    p_session, true), (
		WITH roster AS (
		    SELECT e.student_id, r.status, r.late_scan
		    FROM attendance.class_sessions s
		    JOIN attendance.enrolments e ON e.course_id = s.course_id
		    LEFT JOIN attendance.records r ON r.session_id = s.id
			AND r.student_id = e.student_id
		    WHERE s.id = p_session)
		SELECT jsonb_build_object(
		    'session', attendance.session_json(p_session),
		    'enrolled', count(*),
		    'recorded', count(status),
		    'counts', jsonb_build_object(
			'present', count(*) FILTER (WHERE status = 'present'),
			'late_absent', count(*) FILTER (WHERE late_scan),
			'late', count(*) FILTER (WHERE status = 'late'),
			'left_early', count(*) FILTER (WHERE status = 'left_early'),
			'personal_leave', count(*) FILTER (WHERE status = 'personal_leave'),
			'sick_leave', count(*) FILTER (WHERE status = 'sick_leave'),
			-- A late scan is absent, counted once: as late_absent.
			'absent', count(*) FILTER (WHERE status = 'absent'
			    AND late_scan IS NOT TRUE)),
		    'missing', coalesce(jsonb_agg(attendance.student_brief(student_id)
			ORDER BY student_id) FILTER (WHERE status IS NULL), '[]'))
		FROM roster));
$$;

-- Roll call and sign-in sheets: the teacher records the class in bulk.
-- All entries are checked first; nothing is written if any is wrong.
CREATE OR REPLACE FUNCTION attendance.session_record_bulk(p_caller uuid,
    p_roles text[], p_session uuid, p_entries jsonb, p_request_id text,
    p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_s		attendance.class_sessions;
	v_early		int;
	e		jsonb;
	i		int := 0;
	v_student	uuid;
	v_errors	jsonb := '[]';
	v_rec		jsonb;
	v_written	int := 0;
	v_final		jsonb := '[]';
BEGIN
	v_rec := attendance.session_refusal(p_caller, p_roles, p_session,
	    false);
	IF v_rec IS NOT NULL THEN
		RETURN v_rec;
	END IF;
	SELECT * INTO v_s FROM attendance.class_sessions WHERE id = p_session;
	IF v_s.method = 'qr' THEN
		RETURN attendance.err('conflict', 'QR sessions are recorded by '
		    'scanning; correct individual records instead');
	END IF;
	SELECT open_before_minutes INTO v_early FROM attendance.policy;
	IF now() < v_s.starts_at - make_interval(mins => v_early) THEN
		RETURN attendance.err('session-not-started');
	END IF;
	FOR e IN SELECT value FROM jsonb_array_elements(p_entries) LOOP
		v_student := attendance.student_by_login(e->>'student');
		IF v_student IS NULL OR NOT EXISTS (SELECT 1
		    FROM attendance.enrolments WHERE course_id = v_s.course_id
		    AND student_id = v_student) THEN
			v_errors := v_errors || jsonb_build_object('field',
			    format('records[%s].student', i),
			    'message', 'is not enrolled in this course');
		END IF;
		i := i + 1;
	END LOOP;
	IF jsonb_array_length(v_errors) > 0 THEN
		RETURN attendance.err('validation', NULL, v_errors);
	END IF;
	FOR e IN SELECT value FROM jsonb_array_elements(p_entries) LOOP
		v_student := attendance.student_by_login(e->>'student');
		v_rec := attendance.put_record(p_caller, v_student, p_session,
		    e->>'status', v_s.method, 'record.' || v_s.method,
		    NULL, p_request_id, p_client);
		IF v_rec IS NULL THEN
			v_final := v_final || to_jsonb(e->>'student');
		ELSE
			v_written := v_written + 1;
		END IF;
	END LOOP;
	RETURN jsonb_build_object('recorded', v_written,
	    'unchanged_final', v_final,
	    'live', attendance.session_live(p_caller, p_roles, p_session));
END $$;
