-- Low-attendance warnings: who is below the threshold (or within the
-- margin above it), and the in-site warning once per crossing, sent on a
-- member of staff's request or by the service's own periodic sweep.

-- Where each of these students stands against the threshold this semester.
CREATE OR REPLACE FUNCTION attendance.warning_levels(p_students uuid[],
    p_school_year text, p_semester int)
RETURNS TABLE (student_id uuid, rate numeric, level text)
LANGUAGE sql STABLE AS $$
	WITH per AS (SELECT t.student_id, attendance.pct(sum(t.held_hours) -
		sum(t.absence_hours), sum(t.held_hours)) AS rate
		FROM attendance.stats(p_students, p_school_year, p_semester,
		    '-infinity', 'infinity') t
		GROUP BY t.student_id HAVING sum(t.held_hours) > 0)
	SELECT per.student_id, per.rate, CASE
	    WHEN per.rate < p.warn_threshold THEN 'below'
	    WHEN per.rate < p.warn_threshold + p.warn_margin THEN 'trending'
	    ELSE 'ok' END
	FROM per, attendance.policy p;
$$;

CREATE OR REPLACE FUNCTION attendance.warnings_list(p_caller uuid, p_roles text[],
    p_school_year text, p_semester int, p_limit int, p_offset int)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	WITH l AS (SELECT l.* FROM attendance.warning_levels(ARRAY(
		    SELECT v.student_id FROM attendance.visible_students(
		    p_caller, p_roles) v), p_school_year, p_semester) l
		WHERE l.level <> 'ok'),
	w AS (SELECT l.*, a.login FROM l
		JOIN auth.people(ARRAY(SELECT student_id FROM l)) a
		    ON a.id = l.student_id)
	SELECT jsonb_build_object('total', (SELECT count(*) FROM w),
	    'limit', p_limit, 'offset', p_offset,
	    'threshold', (SELECT warn_threshold FROM attendance.policy),
	    'items', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'student', attendance.student_brief(x.student_id),
		'realtime_attendance_rate', x.rate, 'level', x.level,
		'warned_at', (SELECT s.warned_at FROM attendance.warning_state s
		    WHERE s.student_id = x.student_id
		    AND s.school_year = p_school_year
		    AND s.semester = p_semester))
		ORDER BY x.rate, x.login)
		FROM (SELECT * FROM w ORDER BY rate, login
		    LIMIT p_limit OFFSET p_offset) x), '[]'));
$$;

-- Records each student's level and sends an in-site warning when it gets
-- worse (ok -> trending -> below): once per crossing. Improving re-arms
-- the warning without a message. p_actor is NULL when the system sends.
CREATE OR REPLACE FUNCTION attendance.warnings_evaluate(p_students uuid[],
    p_school_year text, p_semester int, p_actor uuid, p_request_id text,
    p_client text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v	record;
	v_th	numeric;
	v_old	text;
	n_eval	int := 0;
	n_sent	int := 0;
BEGIN
	SELECT warn_threshold INTO v_th FROM attendance.policy;
	FOR v IN SELECT l.student_id, l.rate, l.level
	    FROM attendance.warning_levels(p_students, p_school_year,
		p_semester) l LOOP
		n_eval := n_eval + 1;
		SELECT level INTO v_old FROM attendance.warning_state
		WHERE student_id = v.student_id AND school_year = p_school_year
		    AND semester = p_semester FOR UPDATE;
		IF v_old IS NOT DISTINCT FROM v.level THEN
			CONTINUE;
		END IF;
		-- A concurrent evaluation that got there first wins.
		INSERT INTO attendance.warning_state AS w (student_id,
		    school_year, semester, level, rate)
		VALUES (v.student_id, p_school_year, p_semester, v.level, v.rate)
		ON CONFLICT (student_id, school_year, semester) DO UPDATE SET
		    level = EXCLUDED.level, rate = EXCLUDED.rate,
		    changed_at = now()
		WHERE w.level IS DISTINCT FROM EXCLUDED.level;
		IF NOT FOUND THEN
			CONTINUE;
		END IF;
		IF array_position(ARRAY['ok', 'trending', 'below'], v.level) >
		    array_position(ARRAY['ok', 'trending', 'below'],
		    coalesce(v_old, 'ok')) THEN
			PERFORM messaging.post_inbox(v.student_id,
			    'attendance.warning',
			    'Attendance warning / 考勤预警',
			    format('Your attendance rate for %s semester %s is '
			    '%s%%. At least %s%% is required for the residence '
			    'permit extension letter and for scholarships. / '
			    '您本学期的出勤率为 %s%%，居留许可延期和奖学金要求出勤率'
			    '不低于 %s%%。', p_school_year, p_semester, v.rate,
			    v_th, v.rate, v_th),
			    jsonb_build_object('level', v.level, 'rate', v.rate,
			    'school_year', p_school_year,
			    'semester', p_semester), p_actor);
			UPDATE attendance.warning_state SET warned_at = now()
			WHERE student_id = v.student_id
			    AND school_year = p_school_year
			    AND semester = p_semester;
			PERFORM attendance.audit(p_actor, 'warning.sent',
			    v.student_id, NULL, NULL, NULL, jsonb_build_object(
			    'level', v.level, 'rate', v.rate), p_request_id,
			    p_client);
			n_sent := n_sent + 1;
		END IF;
	END LOOP;
	RETURN jsonb_build_object('evaluated', n_eval, 'warned', n_sent);
END $$;

-- POST /warnings/send: the students in the caller's scope.
CREATE OR REPLACE FUNCTION attendance.warnings_send(p_caller uuid, p_roles text[],
    p_school_year text, p_semester int, p_request_id text, p_client text)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	IF NOT p_roles && ARRAY['counsellor', 'secretary', 'io', 'admin'] THEN
		RETURN attendance.err('forbidden');
	END IF;
	RETURN attendance.warnings_evaluate(ARRAY(SELECT v.student_id
	    FROM attendance.visible_students(p_caller, p_roles) v),
	    p_school_year, p_semester, p_caller, p_request_id, p_client);
END $$;

-- The service runs attendance.warnings_sweep() periodically
-- (attendance.warnings_interval, an hour by default): for every term in
-- progress it evaluates every enrolled student, as POST /warnings/send does
-- for a member of staff, and posts the in-site warning once per threshold
-- crossing. The messages and the audit entries have no actor: the system
-- sent them.

-- Terms in progress: one of their classes started in the last 30 days.
CREATE OR REPLACE FUNCTION attendance.current_terms()
RETURNS TABLE (school_year text, semester int)
LANGUAGE sql STABLE AS $$
	SELECT DISTINCT c.school_year, c.semester::int
	FROM attendance.class_sessions s
	JOIN attendance.courses c ON c.id = s.course_id
	WHERE s.starts_at > now() - interval '30 days' AND s.starts_at <= now()
	ORDER BY 1, 2;
$$;

-- One sweep at a time across every instance of the service.
CREATE OR REPLACE FUNCTION attendance.warnings_sweep() RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	t	record;
	v_terms	jsonb := '[]';
BEGIN
	IF NOT pg_try_advisory_xact_lock(hashtext('attendance.warnings_sweep'))
	THEN
		RETURN jsonb_build_object('sweep', 'warnings', 'skipped',
		    'another sweep is running');
	END IF;
	FOR t IN SELECT * FROM attendance.current_terms() LOOP
		v_terms := v_terms || (jsonb_build_object('school_year',
		    t.school_year, 'semester', t.semester)
		    || attendance.warnings_evaluate(ARRAY(
			SELECT DISTINCT e.student_id FROM attendance.enrolments e
			JOIN attendance.courses c ON c.id = e.course_id
			WHERE c.school_year = t.school_year
			AND c.semester = t.semester), t.school_year,
			t.semester, NULL, NULL, 'system'));
	END LOOP;
	RETURN jsonb_build_object('sweep', 'warnings', 'terms', v_terms);
END $$;
