-- attendance: running a class (open/close check-in, live view, roll call),
-- QR check-in, corrections, leave applications and evidence.

CREATE FUNCTION attendance.session_open(p_caller uuid, p_roles text[],
    p_session uuid, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_s	attendance.class_sessions;
	v_early	int;
BEGIN
	SELECT * INTO v_s FROM attendance.class_sessions WHERE id = p_session
	FOR UPDATE;
	IF NOT FOUND THEN
		RETURN attendance.err('not-found');
	END IF;
	IF NOT attendance.runs_session(p_caller, p_roles, p_session) THEN
		RETURN attendance.err('forbidden',
		    'Only the course''s teacher opens check-in');
	END IF;
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

CREATE FUNCTION attendance.session_close(p_caller uuid, p_roles text[],
    p_session uuid, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM attendance.class_sessions
	    WHERE id = p_session) THEN
		RETURN attendance.err('not-found');
	END IF;
	IF NOT attendance.runs_session(p_caller, p_roles, p_session) THEN
		RETURN attendance.err('forbidden');
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
CREATE FUNCTION attendance.session_qr(p_caller uuid, p_roles text[],
    p_session uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE
	    WHEN NOT EXISTS (SELECT 1 FROM attendance.class_sessions
		WHERE id = p_session) THEN attendance.err('not-found')
	    WHEN NOT attendance.runs_session(p_caller, p_roles, p_session)
		THEN attendance.err('forbidden')
	    WHEN EXISTS (SELECT 1 FROM attendance.class_sessions
		WHERE id = p_session AND checkin_opened_at IS NOT NULL
		AND checkin_closed_at IS NULL AND now() < ends_at)
		THEN attendance.session_json(p_session)
	    ELSE attendance.err('checkin-closed') END;
$$;

-- Live counts and who is missing, for the teacher during check-in.
CREATE FUNCTION attendance.session_live(p_caller uuid, p_roles text[],
    p_session uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE
	    WHEN NOT EXISTS (SELECT 1 FROM attendance.class_sessions
		WHERE id = p_session) THEN attendance.err('not-found')
	    WHEN NOT (attendance.runs_session(p_caller, p_roles, p_session)
		OR attendance.is_office(p_roles)) THEN attendance.err('forbidden')
	    ELSE (
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
			'absent', count(*) FILTER (WHERE status = 'absent')),
		    'missing', coalesce(jsonb_agg(attendance.student_brief(student_id)
			ORDER BY student_id) FILTER (WHERE status IS NULL), '[]'))
		FROM roster)
	    END;
$$;

-- A QR check-in. The service has verified the code's signature and time
-- window; this checks everything that needs the database. Idempotent: a
-- repeated scan answers the record already there.
CREATE FUNCTION attendance.checkin(p_session uuid, p_student uuid,
    p_roles text[], p_wx text, p_lat double precision,
    p_lon double precision, p_accuracy double precision)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_s	record;
	v_rec	attendance.records;
	v_bound	text;
	v_pol	attendance.policy;
	v_dist	double precision;
	v_late	boolean;
BEGIN
	IF NOT 'student' = ANY (p_roles) THEN
		RETURN attendance.err('forbidden');
	END IF;
	v_bound := auth.current_wechat(p_student);
	IF v_bound IS NULL THEN
		RETURN attendance.err('wechat-not-bound');
	END IF;
	IF v_bound IS DISTINCT FROM p_wx THEN
		RETURN attendance.err('wechat-binding-changed');
	END IF;
	SELECT s.*, ro.latitude AS room_lat, ro.longitude AS room_lon,
	    ro.radius_m INTO v_s
	FROM attendance.class_sessions s
	LEFT JOIN attendance.rooms ro ON ro.code = s.room
	WHERE s.id = p_session;
	IF NOT FOUND THEN
		RETURN attendance.err('qr-invalid');
	END IF;
	SELECT * INTO v_rec FROM attendance.records
	WHERE student_id = p_student AND session_id = p_session;
	IF FOUND THEN
		RETURN jsonb_build_object('duplicate', true,
		    'record', attendance.record_json(v_rec));
	END IF;
	IF NOT EXISTS (SELECT 1 FROM attendance.enrolments
	    WHERE course_id = v_s.course_id AND student_id = p_student) THEN
		RETURN attendance.err('not-enrolled');
	END IF;
	IF v_s.checkin_opened_at IS NULL OR v_s.checkin_closed_at IS NOT NULL
	    OR now() >= v_s.ends_at THEN
		RETURN attendance.err('checkin-closed');
	END IF;
	SELECT * INTO v_pol FROM attendance.policy;
	IF p_accuracy > v_pol.max_accuracy_m THEN
		RETURN attendance.err('location-inaccurate', format(
		    'Position accuracy is %s m; at most %s m is accepted',
		    round(p_accuracy::numeric), v_pol.max_accuracy_m));
	END IF;
	v_dist := attendance.distance_m(v_s.room_lat, v_s.room_lon, p_lat,
	    p_lon);
	IF v_dist > v_s.radius_m THEN
		RETURN attendance.err('outside-classroom', format(
		    'You are %s m from the classroom; check in within %s m',
		    round(v_dist::numeric), v_s.radius_m));
	END IF;
	v_late := now() > v_s.starts_at + make_interval(mins =>
	    v_pol.grace_minutes);
	INSERT INTO attendance.records (student_id, session_id, status, source,
	    final, late_scan, checked_in_at, latitude, longitude, accuracy_m,
	    distance_m, recorded_by)
	VALUES (p_student, p_session,
	    CASE WHEN v_late THEN 'absent' ELSE 'present' END, 'qr', v_late,
	    v_late, now(), p_lat, p_lon, p_accuracy, v_dist, p_student)
	ON CONFLICT DO NOTHING
	RETURNING * INTO v_rec;
	IF NOT FOUND THEN
		SELECT * INTO v_rec FROM attendance.records
		WHERE student_id = p_student AND session_id = p_session;
		RETURN jsonb_build_object('duplicate', true,
		    'record', attendance.record_json(v_rec));
	END IF;
	RETURN jsonb_build_object('duplicate', false,
	    'record', attendance.record_json(v_rec));
END $$;

CREATE FUNCTION attendance.student_by_login(p_login text) RETURNS uuid
LANGUAGE sql STABLE AS $$
	SELECT id FROM auth.accounts WHERE lower(login) = lower(p_login)
	    AND kind = 'student';
$$;

-- Writes one record with its audit entry; a final record is never changed.
CREATE FUNCTION attendance.put_record(p_actor uuid, p_student uuid,
    p_session uuid, p_status text, p_source text, p_action text,
    p_details jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_old	attendance.records;
	v_new	attendance.records;
BEGIN
	SELECT * INTO v_old FROM attendance.records
	WHERE student_id = p_student AND session_id = p_session FOR UPDATE;
	IF FOUND AND v_old.final THEN
		RETURN NULL;
	END IF;
	INSERT INTO attendance.records (student_id, session_id, status, source,
	    recorded_by)
	VALUES (p_student, p_session, p_status, p_source, p_actor)
	ON CONFLICT (student_id, session_id) DO UPDATE SET
	    status = EXCLUDED.status, source = EXCLUDED.source,
	    recorded_by = EXCLUDED.recorded_by, updated_at = now()
	RETURNING * INTO v_new;
	PERFORM attendance.audit(p_actor, p_action, p_student, p_session,
	    CASE WHEN v_old.student_id IS NULL THEN NULL
		ELSE attendance.record_json(v_old) END,
	    attendance.record_json(v_new), p_details, p_request_id, p_client);
	RETURN attendance.record_json(v_new);
END $$;

-- Roll call and sign-in sheets: the teacher records the class in bulk.
-- All entries are checked first; nothing is written if any is wrong.
CREATE FUNCTION attendance.session_record_bulk(p_caller uuid,
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
	SELECT * INTO v_s FROM attendance.class_sessions WHERE id = p_session;
	IF NOT FOUND THEN
		RETURN attendance.err('not-found');
	END IF;
	IF NOT attendance.runs_session(p_caller, p_roles, p_session) THEN
		RETURN attendance.err('forbidden');
	END IF;
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

-- A correction by the course's teacher or the student's counsellor, with
-- a reason and optional evidence. The late-arrival verdict is final.
CREATE FUNCTION attendance.record_correct(p_caller uuid, p_roles text[],
    p_session uuid, p_student_login text, p_status text, p_reason text,
    p_evidence uuid, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_s		attendance.class_sessions;
	v_student	uuid := attendance.student_by_login(p_student_login);
	v_rec		jsonb;
BEGIN
	SELECT * INTO v_s FROM attendance.class_sessions WHERE id = p_session;
	IF NOT FOUND OR v_student IS NULL
	    OR NOT attendance.can_read_student(p_caller, p_roles, v_student) THEN
		RETURN attendance.err('not-found');
	END IF;
	IF NOT (attendance.runs_session(p_caller, p_roles, p_session)
	    OR ('counsellor' = ANY (p_roles) AND EXISTS (SELECT 1
		FROM auth.staff_scopes s WHERE s.staff_id = p_caller
		AND s.scope = 'student' AND s.value = v_student::text))) THEN
		RETURN attendance.err('forbidden', 'Records are corrected by '
		    'the course''s teacher or the student''s counsellor');
	END IF;
	IF NOT EXISTS (SELECT 1 FROM attendance.enrolments
	    WHERE course_id = v_s.course_id AND student_id = v_student) THEN
		RETURN attendance.err('not-enrolled');
	END IF;
	IF now() < v_s.starts_at THEN
		RETURN attendance.err('session-not-started');
	END IF;
	IF p_evidence IS NOT NULL AND NOT EXISTS (SELECT 1
	    FROM attendance.evidence WHERE id = p_evidence
	    AND (owner_id = p_caller OR owner_id = v_student)) THEN
		RETURN attendance.err('validation', NULL, jsonb_build_array(
		    jsonb_build_object('field', 'evidence_id',
		    'message', 'is not evidence you or the student uploaded')));
	END IF;
	v_rec := attendance.put_record(p_caller, v_student, p_session,
	    p_status, 'correction', 'record.corrected',
	    jsonb_strip_nulls(jsonb_build_object('reason', p_reason,
		'evidence_id', p_evidence)), p_request_id, p_client);
	IF v_rec IS NULL THEN
		RETURN attendance.err('record-final');
	END IF;
	RETURN v_rec;
END $$;

CREATE FUNCTION attendance.audit_list(p_caller uuid, p_roles text[],
    p_student_login text, p_limit int, p_offset int) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_student uuid := attendance.student_by_login(p_student_login);
BEGIN
	IF v_student IS NULL OR p_roles = ARRAY['student']
	    OR NOT attendance.can_read_student(p_caller, p_roles, v_student) THEN
		RETURN attendance.err('not-found');
	END IF;
	RETURN jsonb_build_object('items', coalesce((SELECT jsonb_agg(
	    jsonb_build_object('at', l.at, 'action', l.action,
		'actor', (SELECT a.login FROM auth.accounts a
		    WHERE a.id = l.actor_id),
		'session_id', l.session_id, 'before', l.before,
		'after', l.after, 'details', l.details,
		'request_id', l.request_id) ORDER BY l.id DESC)
	    FROM (SELECT * FROM attendance.audit_log
		WHERE student_id = v_student ORDER BY id DESC
		LIMIT p_limit OFFSET p_offset) l), '[]'),
	    'limit', p_limit, 'offset', p_offset);
END $$;

-- ---------------------------------------------------------------------
-- Evidence and leave

CREATE FUNCTION attendance.evidence_store(p_caller uuid, p_content_type text,
    p_data_hex text, p_sha256 text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_id	uuid;
	v_data	bytea := decode(p_data_hex, 'hex');
BEGIN
	INSERT INTO attendance.evidence (owner_id, content_type, size, sha256,
	    data)
	VALUES (p_caller, p_content_type, length(v_data), p_sha256, v_data)
	RETURNING id INTO v_id;
	RETURN jsonb_build_object('id', v_id, 'content_type', p_content_type,
	    'size', length(v_data), 'sha256', p_sha256);
END $$;

CREATE FUNCTION attendance.evidence_get(p_caller uuid, p_roles text[],
    p_id uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT jsonb_build_object('content_type',
	    e.content_type, 'data', encode(e.data, 'base64'))
	    FROM attendance.evidence e WHERE e.id = p_id
	    AND (e.owner_id = p_caller OR attendance.is_office(p_roles)
		OR (p_roles <> ARRAY['student']
		    AND attendance.can_read_student(p_caller, p_roles,
		    e.owner_id))
		OR EXISTS (SELECT 1 FROM attendance.leave_requests l
		    WHERE l.certificate_id = e.id AND p_roles <> ARRAY['student']
		    AND attendance.can_read_student(p_caller, p_roles,
		    l.student_id)))), attendance.err('not-found'));
$$;

CREATE FUNCTION attendance.leave_json(p_leave uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('id', l.id,
	    'student', attendance.student_brief(l.student_id),
	    'kind', l.kind, 'reason', l.reason,
	    'certificate_id', l.certificate_id, 'from', l.starts_at,
	    'to', l.ends_at, 'status', l.status,
	    'decided_by', (SELECT a.login FROM auth.accounts a
		WHERE a.id = l.decided_by),
	    'decided_at', l.decided_at, 'comment', l.decision_comment,
	    'created_at', l.created_at,
	    'sessions', (SELECT coalesce(jsonb_agg(attendance.session_json(
		ls.session_id) ORDER BY s.starts_at), '[]')
		FROM attendance.leave_sessions ls
		JOIN attendance.class_sessions s ON s.id = ls.session_id
		WHERE ls.leave_id = l.id)))
	FROM attendance.leave_requests l WHERE l.id = p_leave;
$$;

-- A leave application covers the student's sessions in [from, to); all
-- must lie in the future: an application after the fact is invalid.
CREATE FUNCTION attendance.leave_apply(p_caller uuid, p_roles text[],
    p_kind text, p_reason text, p_from timestamptz, p_to timestamptz,
    p_certificate uuid, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_id		uuid;
	v_sessions	uuid[];
	v_started	int;
BEGIN
	IF NOT 'student' = ANY (p_roles) THEN
		RETURN attendance.err('forbidden',
		    'Leave is applied for by the student');
	END IF;
	IF p_to <= p_from OR p_to - p_from > interval '90 days' THEN
		RETURN attendance.err('validation', NULL, jsonb_build_array(
		    jsonb_build_object('field', 'to', 'message',
		    'must be after "from" and within 90 days of it')));
	END IF;
	IF p_kind = 'sick' AND p_certificate IS NULL THEN
		RETURN attendance.err('validation', NULL, jsonb_build_array(
		    jsonb_build_object('field', 'certificate_id', 'message',
		    'a hospital certificate is required for sick leave')));
	END IF;
	IF p_certificate IS NOT NULL AND NOT EXISTS (SELECT 1
	    FROM attendance.evidence WHERE id = p_certificate
	    AND owner_id = p_caller) THEN
		RETURN attendance.err('validation', NULL, jsonb_build_array(
		    jsonb_build_object('field', 'certificate_id', 'message',
		    'is not a document you uploaded')));
	END IF;
	SELECT array_agg(s.id), count(*) FILTER (WHERE s.starts_at <= now())
	INTO v_sessions, v_started
	FROM attendance.class_sessions s
	JOIN attendance.enrolments e ON e.course_id = s.course_id
	    AND e.student_id = p_caller
	WHERE s.starts_at < p_to AND s.ends_at > p_from;
	IF v_sessions IS NULL THEN
		RETURN attendance.err('validation', 'You have no classes in '
		    'this period', jsonb_build_array(jsonb_build_object(
		    'field', 'from', 'message', 'covers no class session')));
	END IF;
	IF v_started > 0 THEN
		RETURN attendance.err('leave-too-late');
	END IF;
	IF EXISTS (SELECT 1 FROM attendance.leave_sessions ls
	    JOIN attendance.leave_requests l ON l.id = ls.leave_id
	    WHERE l.student_id = p_caller AND l.status IN ('pending', 'approved')
	    AND ls.session_id = ANY (v_sessions)) THEN
		RETURN attendance.err('conflict', 'Another application already '
		    'covers some of these classes');
	END IF;
	INSERT INTO attendance.leave_requests (student_id, kind, reason,
	    certificate_id, starts_at, ends_at)
	VALUES (p_caller, p_kind, p_reason, p_certificate, p_from, p_to)
	RETURNING id INTO v_id;
	INSERT INTO attendance.leave_sessions (leave_id, session_id)
	SELECT v_id, unnest(v_sessions);
	PERFORM attendance.audit(p_caller, 'leave.applied', p_caller, NULL,
	    NULL, NULL, jsonb_build_object('leave_id', v_id, 'kind', p_kind),
	    p_request_id, p_client);
	-- Tell the student's counsellors.
	PERFORM messaging.post_inbox(s.staff_id, 'attendance.leave',
	    'New leave application',
	    format('%s applied for %s leave: %s', a.login, p_kind, p_reason),
	    jsonb_build_object('leave_id', v_id), p_caller)
	FROM auth.staff_scopes s JOIN auth.accounts a ON a.id = p_caller
	WHERE s.scope = 'student' AND s.value = p_caller::text;
	RETURN attendance.leave_json(v_id);
END $$;

CREATE FUNCTION attendance.leave_decide(p_caller uuid, p_roles text[],
    p_leave uuid, p_approve boolean, p_comment text, p_request_id text,
    p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_l	attendance.leave_requests;
	v_sid	uuid;
	v_final	int := 0;
BEGIN
	SELECT * INTO v_l FROM attendance.leave_requests WHERE id = p_leave
	FOR UPDATE;
	IF NOT FOUND OR NOT attendance.can_read_student(p_caller, p_roles,
	    v_l.student_id) OR p_roles = ARRAY['student'] THEN
		RETURN attendance.err('not-found');
	END IF;
	IF NOT ('admin' = ANY (p_roles) OR ('counsellor' = ANY (p_roles)
	    AND EXISTS (SELECT 1 FROM auth.staff_scopes s
		WHERE s.staff_id = p_caller AND s.scope = 'student'
		AND s.value = v_l.student_id::text))) THEN
		RETURN attendance.err('forbidden',
		    'Leave is decided by the student''s counsellor');
	END IF;
	IF v_l.status <> 'pending' THEN
		RETURN attendance.err('conflict', 'The application has already '
		    'been decided');
	END IF;
	UPDATE attendance.leave_requests SET
	    status = CASE WHEN p_approve THEN 'approved' ELSE 'rejected' END,
	    decided_by = p_caller, decided_at = now(),
	    decision_comment = p_comment
	WHERE id = p_leave;
	IF p_approve THEN
		FOR v_sid IN SELECT session_id FROM attendance.leave_sessions
		    WHERE leave_id = p_leave LOOP
			IF attendance.put_record(p_caller, v_l.student_id, v_sid,
			    v_l.kind || '_leave', 'leave', 'record.leave',
			    jsonb_build_object('leave_id', p_leave),
			    p_request_id, p_client) IS NULL THEN
				v_final := v_final + 1;
			END IF;
		END LOOP;
	END IF;
	PERFORM attendance.audit(p_caller, CASE WHEN p_approve
	    THEN 'leave.approved' ELSE 'leave.rejected' END, v_l.student_id,
	    NULL, NULL, NULL, jsonb_strip_nulls(jsonb_build_object('leave_id',
	    p_leave, 'comment', p_comment, 'final_records_kept', v_final)),
	    p_request_id, p_client);
	PERFORM messaging.post_inbox(v_l.student_id, 'attendance.leave',
	    CASE WHEN p_approve THEN 'Leave approved' ELSE 'Leave rejected' END,
	    coalesce(p_comment, ''), jsonb_build_object('leave_id', p_leave),
	    p_caller);
	RETURN attendance.leave_json(p_leave);
END $$;

CREATE FUNCTION attendance.leave_get(p_caller uuid, p_roles text[],
    p_leave uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT attendance.leave_json(l.id)
	    FROM attendance.leave_requests l WHERE l.id = p_leave
	    AND (l.student_id = p_caller OR (p_roles <> ARRAY['student']
		AND attendance.can_read_student(p_caller, p_roles,
		l.student_id)))), attendance.err('not-found'));
$$;

CREATE FUNCTION attendance.leave_list(p_caller uuid, p_roles text[],
    p_status text, p_limit int, p_offset int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH visible AS (
		SELECT l.id, l.created_at FROM attendance.leave_requests l
		WHERE (p_status IS NULL OR l.status = p_status)
		AND (l.student_id = p_caller OR (p_roles <> ARRAY['student']
		    AND l.student_id IN (SELECT student_id
			FROM attendance.visible_students(p_caller, p_roles)))))
	SELECT jsonb_build_object('total', (SELECT count(*) FROM visible),
	    'limit', p_limit, 'offset', p_offset,
	    'items', coalesce((SELECT jsonb_agg(attendance.leave_json(v.id)
		ORDER BY v.created_at DESC)
		FROM (SELECT * FROM visible ORDER BY created_at DESC
		    LIMIT p_limit OFFSET p_offset) v), '[]'));
$$;

-- The check-in's hot path: one statement (its plan cached by PL/pgSQL)
-- that inserts the record when every check passes: binding, enrolment,
-- open, accuracy, radius. NULL otherwise; attendance.checkin then finds
-- out why, or answers the duplicate.
CREATE FUNCTION attendance.checkin_fast(p_session uuid, p_student uuid,
    p_roles text[], p_wx text, p_lat double precision,
    p_lon double precision, p_accuracy double precision)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_rec	attendance.records;
BEGIN
	INSERT INTO attendance.records (student_id, session_id, status, source,
	    final, late_scan, checked_in_at, latitude, longitude, accuracy_m,
	    distance_m, recorded_by)
	SELECT p_student, ok.id, CASE WHEN ok.late THEN 'absent'
	    ELSE 'present' END, 'qr', ok.late, ok.late, now(), p_lat, p_lon,
	    p_accuracy, ok.dist, p_student
	FROM (SELECT s.id, now() > s.starts_at + make_interval(mins =>
		p.grace_minutes) AS late,
		attendance.distance_m(ro.latitude, ro.longitude, p_lat,
		p_lon) AS dist, ro.radius_m
	    FROM attendance.class_sessions s
	    JOIN attendance.rooms ro ON ro.code = s.room
	    JOIN attendance.enrolments e ON e.course_id = s.course_id
		AND e.student_id = p_student
	    JOIN auth.wechat_bindings b ON b.account_id = p_student
		AND b.openid = p_wx
	    CROSS JOIN attendance.policy p
	    WHERE s.id = p_session AND 'student' = ANY (p_roles)
		AND s.checkin_opened_at IS NOT NULL
		AND s.checkin_closed_at IS NULL AND now() < s.ends_at
		AND p_accuracy <= p.max_accuracy_m) ok
	WHERE ok.dist <= ok.radius_m
	ON CONFLICT DO NOTHING
	RETURNING * INTO v_rec;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	RETURN jsonb_build_object('duplicate', false,
	    'record', attendance.record_json(v_rec));
END $$;
