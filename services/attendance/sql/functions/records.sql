-- Records: writing one with its audit entry, corrections, the audit
-- trail.

CREATE OR REPLACE FUNCTION attendance.student_by_login(p_login text) RETURNS uuid
LANGUAGE sql STABLE AS $$
	SELECT auth.account_id(p_login, 'student');
$$;

-- Writes one record with its audit entry; a final record is never changed.
CREATE OR REPLACE FUNCTION attendance.put_record(p_actor uuid, p_student uuid,
    p_session uuid, p_status text, p_source text, p_action text,
    p_details jsonb, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_old	attendance.records;
	v_new	attendance.records;
BEGIN
	-- A check-in committing meanwhile is seen, locked and judged (final?)
	-- before it is changed, and its before-image audited: the insert does
	-- nothing on a conflict, and the loop reads the row it met.
	LOOP
		SELECT * INTO v_old FROM attendance.records
		WHERE student_id = p_student AND session_id = p_session
		FOR UPDATE;
		IF FOUND THEN
			IF v_old.final THEN
				RETURN NULL;
			END IF;
			UPDATE attendance.records SET status = p_status,
			    source = p_source, recorded_by = p_actor,
			    updated_at = now()
			WHERE student_id = p_student AND session_id = p_session
			RETURNING * INTO v_new;
			EXIT;
		END IF;
		INSERT INTO attendance.records (student_id, session_id, status,
		    source, recorded_by)
		VALUES (p_student, p_session, p_status, p_source, p_actor)
		ON CONFLICT (student_id, session_id) DO NOTHING
		RETURNING * INTO v_new;
		EXIT WHEN FOUND;
	END LOOP;
	PERFORM attendance.audit(p_actor, p_action, p_student, p_session,
	    CASE WHEN v_old.student_id IS NULL THEN NULL
		ELSE attendance.record_json(v_old) END,
	    attendance.record_json(v_new), p_details, p_request_id, p_client);
	RETURN attendance.record_json(v_new);
END $$;

-- A correction by the course's teacher or the student's counsellor, with
-- a reason and optional evidence. The late-arrival verdict is final.
CREATE OR REPLACE FUNCTION attendance.record_correct(p_caller uuid, p_roles text[],
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
	    OR NOT (attendance.can_read_student(p_caller, p_roles, v_student)
		OR attendance.runs_session(p_caller, p_roles, p_session)) THEN
		RETURN attendance.err('not-found');
	END IF;
	IF NOT (attendance.runs_session(p_caller, p_roles, p_session)
	    OR ('counsellor' = ANY (p_roles)
		AND auth.is_counsellor_of(p_caller, v_student))) THEN
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

-- A student's audit trail: whole to the staff who may read the student;
-- to a teacher, the entries of the sessions of the courses they teach. A
-- leave decision's comment, and a correction's reason and evidence (often
-- medical), only to the student's counsellors and to whoever wrote them.
CREATE OR REPLACE FUNCTION attendance.audit_list(p_caller uuid, p_roles text[],
    p_student_login text, p_limit int, p_offset int) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_student	uuid := attendance.student_by_login(p_student_login);
	v_whole		boolean := attendance.can_read_student(p_caller,
			    p_roles, v_student);
	v_medical	boolean := attendance.reads_medical(p_caller, p_roles,
			    v_student);
BEGIN
	IF v_student IS NULL OR v_student = p_caller OR NOT (v_whole
	    OR attendance.teaches(p_caller, p_roles, v_student)) THEN
		RETURN attendance.err('not-found');
	END IF;
	RETURN jsonb_build_object('items', coalesce((SELECT jsonb_agg(
	    jsonb_build_object('at', l.at, 'action', l.action,
		'actor', attendance.login_of(l.actor_id),
		'session_id', l.session_id, 'before', l.before,
		'after', l.after, 'details', CASE
		    WHEN v_medical OR l.actor_id = p_caller THEN l.details
		    WHEN l.action LIKE 'leave.%' THEN l.details - 'comment'
		    WHEN l.action LIKE 'record.%'
			THEN l.details - 'reason' - 'evidence_id'
		    ELSE l.details END,
		'request_id', l.request_id) ORDER BY l.id DESC)
	    FROM (SELECT a.* FROM attendance.audit_log a
		WHERE a.student_id = v_student AND (v_whole OR EXISTS (
		    SELECT 1 FROM attendance.class_sessions s
		    JOIN attendance.courses c ON c.id = s.course_id
		    WHERE s.id = a.session_id AND c.teacher_id = p_caller))
		ORDER BY a.id DESC LIMIT p_limit OFFSET p_offset) l), '[]'),
	    'limit', p_limit, 'offset', p_offset);
END $$;
