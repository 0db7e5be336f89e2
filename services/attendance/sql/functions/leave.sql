-- Leave applications: a student applies before the classes, their
-- counsellor decides, an approval records the covered classes as leave.

CREATE OR REPLACE FUNCTION attendance.leave_json(p_leave uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('id', l.id,
	    'student', attendance.student_brief(l.student_id),
	    'kind', l.kind, 'reason', l.reason,
	    'certificate_id', l.certificate_id, 'from', l.starts_at,
	    'to', l.ends_at, 'status', l.status,
	    'decided_by', attendance.login_of(l.decided_by),
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
CREATE OR REPLACE FUNCTION attendance.leave_apply(p_caller uuid, p_roles text[],
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
	PERFORM messaging.post_inbox(c.staff_id, 'attendance.leave',
	    'New leave application',
	    format('%s applied for %s leave: %s',
		attendance.login_of(p_caller), p_kind, p_reason),
	    jsonb_build_object('leave_id', v_id), p_caller)
	FROM auth.counsellors_of(p_caller) c;
	RETURN attendance.leave_json(v_id);
END $$;

CREATE OR REPLACE FUNCTION attendance.leave_decide(p_caller uuid, p_roles text[],
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
	IF NOT FOUND OR attendance.leave_for(p_caller, p_roles, p_leave) IS NULL
	    OR p_caller = v_l.student_id THEN
		RETURN attendance.err('not-found');
	END IF;
	IF NOT ('admin' = ANY (p_roles) OR ('counsellor' = ANY (p_roles)
	    AND auth.is_counsellor_of(p_caller, v_l.student_id))) THEN
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
	RETURN attendance.leave_for(p_caller, p_roles, p_leave);
END $$;

-- A leave application as the caller may see it, or NULL: whole for the
-- student and their counsellors; without reason, certificate and comment
-- for the other staff in the student's scope; and to a teacher only once
-- approved, only the sessions of the courses they teach.
CREATE OR REPLACE FUNCTION attendance.leave_for(p_caller uuid, p_roles text[],
    p_leave uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_l	attendance.leave_requests;
	v_doc	jsonb;
BEGIN
	SELECT * INTO v_l FROM attendance.leave_requests WHERE id = p_leave;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	IF attendance.reads_medical(p_caller, p_roles, v_l.student_id) THEN
		RETURN attendance.leave_json(p_leave);
	END IF;
	v_doc := attendance.leave_json(p_leave) - 'reason' - 'certificate_id'
	    - 'comment';
	IF attendance.can_read_student(p_caller, p_roles, v_l.student_id) THEN
		RETURN v_doc;
	END IF;
	IF v_l.status <> 'approved' OR NOT 'teacher' = ANY (p_roles) THEN
		RETURN NULL;
	END IF;
	v_doc := jsonb_set(v_doc, '{sessions}', coalesce((SELECT jsonb_agg(x)
	    FROM jsonb_array_elements(v_doc->'sessions') x
	    JOIN attendance.courses c ON c.id = (x->>'course_id')::uuid
	    WHERE c.teacher_id = p_caller), '[]'));
	RETURN CASE WHEN v_doc->'sessions' <> '[]' THEN v_doc END;
END $$;

CREATE OR REPLACE FUNCTION attendance.leave_get(p_caller uuid, p_roles text[],
    p_leave uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(attendance.leave_for(p_caller, p_roles, p_leave),
	    attendance.err('not-found'));
$$;

CREATE OR REPLACE FUNCTION attendance.leave_list(p_caller uuid, p_roles text[],
    p_status text, p_limit int, p_offset int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH visible AS (
		SELECT l.id, l.created_at FROM attendance.leave_requests l
		WHERE (p_status IS NULL OR l.status = p_status)
		AND (l.student_id = p_caller OR l.student_id IN (
		    SELECT student_id FROM attendance.visible_students(p_caller,
			p_roles))
		    OR (l.status = 'approved' AND EXISTS (SELECT 1
			FROM attendance.leave_sessions ls
			JOIN attendance.class_sessions s ON s.id = ls.session_id
			JOIN attendance.courses c ON c.id = s.course_id
			WHERE ls.leave_id = l.id AND c.teacher_id = p_caller
			AND 'teacher' = ANY (p_roles)))))
	SELECT jsonb_build_object('total', (SELECT count(*) FROM visible),
	    'limit', p_limit, 'offset', p_offset,
	    'items', coalesce((SELECT jsonb_agg(attendance.leave_for(p_caller,
		p_roles, v.id)
		ORDER BY v.created_at DESC)
		FROM (SELECT * FROM visible ORDER BY created_at DESC
		    LIMIT p_limit OFFSET p_offset) v), '[]'));
$$;
