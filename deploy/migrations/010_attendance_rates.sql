-- attendance: rates, the monthly stipend report and low-attendance warnings.
--
-- A session is "held" once it has started. For each held session of an
-- enrolled course a student has a status: present, late, left_early,
-- personal_leave, sick_leave, or skipped (no record, or absent — a late QR
-- scan is absent). Hours of absence follow the policy: personal leave and
-- skipping count fully; every Nth late arrival (early departure) of a
-- course counts as an absence of that session, N = late_per_absence
-- (early_per_absence); sick leave counts as attendance.
--   real-time rate = attended hours / hours held so far
--   overall rate   = attended hours / total course hours

-- Per student and course, over sessions held in [p_from, p_to).
CREATE FUNCTION attendance.stats(p_students uuid[], p_school_year text,
    p_semester int, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (student_id uuid, course_id uuid, course_hours numeric,
    held_hours numeric, present bigint, late bigint, left_early bigint,
    personal_leave bigint, sick_leave bigint, skipped bigint,
    late_absent bigint, absence_hours numeric)
LANGUAGE sql STABLE AS $$
	WITH pol AS (SELECT late_per_absence, early_per_absence
		FROM attendance.policy),
	cs AS (SELECT e.student_id, c.id, c.hours
		FROM attendance.enrolments e
		JOIN attendance.courses c ON c.id = e.course_id
		WHERE e.student_id = ANY (p_students)
		AND (p_school_year IS NULL OR c.school_year = p_school_year)
		AND (p_semester IS NULL OR c.semester = p_semester)),
	held AS (SELECT cs.student_id, cs.id AS course_id, s.hours,
		s.starts_at,
		CASE WHEN r.status IS NULL OR r.status = 'absent'
		    THEN 'skipped' ELSE r.status END AS st,
		coalesce(r.late_scan, false) AS late_scan
		FROM cs JOIN attendance.class_sessions s ON s.course_id = cs.id
		    AND s.starts_at >= p_from AND s.starts_at < p_to
		    AND s.starts_at <= now()
		LEFT JOIN attendance.records r ON r.student_id = cs.student_id
		    AND r.session_id = s.id),
	ranked AS (SELECT h.*, row_number() OVER (PARTITION BY h.student_id,
		h.course_id, h.st ORDER BY h.starts_at) AS rn
		FROM held h),
	agg AS (SELECT k.student_id, k.course_id,
		sum(k.hours) AS held_hours,
		count(*) FILTER (WHERE k.st = 'present') AS present,
		count(*) FILTER (WHERE k.st = 'late') AS late,
		count(*) FILTER (WHERE k.st = 'left_early') AS left_early,
		count(*) FILTER (WHERE k.st = 'personal_leave') AS personal_leave,
		count(*) FILTER (WHERE k.st = 'sick_leave') AS sick_leave,
		count(*) FILTER (WHERE k.st = 'skipped') AS skipped,
		count(*) FILTER (WHERE k.late_scan) AS late_absent,
		coalesce(sum(k.hours) FILTER (WHERE k.st IN ('skipped',
		    'personal_leave')
		    OR (k.st = 'late' AND k.rn % pol.late_per_absence = 0)
		    OR (k.st = 'left_early' AND k.rn % pol.early_per_absence = 0)),
		    0) AS absence_hours
		FROM ranked k, pol GROUP BY k.student_id, k.course_id)
	SELECT cs.student_id, cs.id, cs.hours, coalesce(a.held_hours, 0),
	    coalesce(a.present, 0), coalesce(a.late, 0),
	    coalesce(a.left_early, 0), coalesce(a.personal_leave, 0),
	    coalesce(a.sick_leave, 0), coalesce(a.skipped, 0),
	    coalesce(a.late_absent, 0), coalesce(a.absence_hours, 0)
	FROM cs LEFT JOIN agg a ON a.student_id = cs.student_id
	    AND a.course_id = cs.id;
$$;

CREATE FUNCTION attendance.pct(p_part numeric, p_whole numeric)
RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_whole > 0 THEN round(100 * p_part / p_whole, 2) END;
$$;

-- The semester figures of one student (NULL when not enrolled).
CREATE FUNCTION attendance.semester_summary(p_student uuid,
    p_school_year text, p_semester int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN count(*) > 0 THEN jsonb_build_object(
	    'course_hours', sum(t.course_hours),
	    'hours_held', sum(t.held_hours),
	    'absence_hours', sum(t.absence_hours),
	    'attended_hours', sum(t.held_hours) - sum(t.absence_hours),
	    'realtime_absence_rate', attendance.pct(sum(t.absence_hours),
		sum(t.held_hours)),
	    'total_absence_rate', attendance.pct(sum(t.absence_hours),
		sum(t.course_hours)),
	    'realtime_attendance_rate', attendance.pct(sum(t.held_hours) -
		sum(t.absence_hours), sum(t.held_hours)),
	    'overall_attendance_rate', attendance.pct(sum(t.held_hours) -
		sum(t.absence_hours), sum(t.course_hours))) END
	FROM attendance.stats(ARRAY[p_student], p_school_year, p_semester,
	    '-infinity', 'infinity') t;
$$;

-- One student's record per semester and course.
CREATE FUNCTION attendance.student_rates(p_caller uuid, p_roles text[],
    p_student_login text, p_school_year text, p_semester int)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_student uuid := coalesce(attendance.student_by_login(
	    p_student_login), CASE WHEN p_student_login IS NULL
	    THEN p_caller END);
BEGIN
	IF v_student IS NULL OR NOT (v_student = p_caller
	    OR (p_roles <> ARRAY['student']
	    AND attendance.can_read_student(p_caller, p_roles, v_student))) THEN
		RETURN attendance.err('not-found');
	END IF;
	RETURN jsonb_build_object(
	    'student', attendance.student_brief(v_student),
	    'policy', (SELECT jsonb_build_object('late_per_absence',
		late_per_absence, 'early_per_absence', early_per_absence)
		FROM attendance.policy),
	    'semesters', coalesce((SELECT jsonb_agg(x.doc
		ORDER BY x.school_year DESC, x.semester DESC) FROM (
		SELECT c.school_year, c.semester, jsonb_build_object(
		    'school_year', c.school_year, 'semester', c.semester)
		    || attendance.semester_summary(v_student, c.school_year,
			c.semester)
		    || jsonb_build_object('courses', jsonb_agg(
			jsonb_build_object('course_id', c.id, 'code', c.code,
			'name_en', c.name_en, 'name_zh', c.name_zh,
			'course_hours', t.course_hours,
			'hours_held', t.held_hours,
			'late', t.late, 'left_early', t.left_early,
			'personal_leave', t.personal_leave,
			'sick_leave', t.sick_leave, 'skipped', t.skipped,
			'late_absent', t.late_absent,
			'absence_hours', t.absence_hours,
			'attended_hours', t.held_hours - t.absence_hours)
			ORDER BY c.code)) AS doc
		FROM attendance.stats(ARRAY[v_student], p_school_year,
		    p_semester, '-infinity', 'infinity') t
		JOIN attendance.courses c ON c.id = t.course_id
		GROUP BY c.school_year, c.semester) x), '[]'));
END $$;

-- Students in the caller's scope with their semester figures.
CREATE FUNCTION attendance.rates_list(p_caller uuid, p_roles text[],
    p_school_year text, p_semester int, p_limit int, p_offset int)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	WITH visible AS (
		SELECT a.id, a.login FROM attendance.visible_students(p_caller,
		    p_roles) v
		JOIN auth.accounts a ON a.id = v.student_id
		WHERE EXISTS (SELECT 1 FROM attendance.enrolments e
		    JOIN attendance.courses c ON c.id = e.course_id
		    WHERE e.student_id = a.id AND c.school_year = p_school_year
		    AND c.semester = p_semester))
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

-- The stipend report: every student with classes held in the month.
CREATE FUNCTION attendance.monthly_report(p_caller uuid, p_roles text[],
    p_month date) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_tz	text;
	v_from	timestamptz;
	v_to	timestamptz;
BEGIN
	IF NOT p_roles && ARRAY['finance', 'io', 'leader', 'admin'] THEN
		RETURN attendance.err('forbidden');
	END IF;
	SELECT timezone INTO v_tz FROM attendance.policy;
	v_from := date_trunc('month', p_month)::timestamp AT TIME ZONE v_tz;
	v_to := (date_trunc('month', p_month) + interval '1 month')::timestamp
	    AT TIME ZONE v_tz;
	RETURN (
	    WITH students AS (SELECT array_agg(DISTINCT e.student_id) AS ids
		FROM attendance.class_sessions s
		JOIN attendance.enrolments e ON e.course_id = s.course_id
		WHERE s.starts_at >= v_from AND s.starts_at < v_to),
	    per AS (SELECT t.student_id, sum(t.held_hours) AS held,
		sum(t.absence_hours) AS absence, sum(t.present) AS present,
		sum(t.late) AS late, sum(t.left_early) AS left_early,
		sum(t.personal_leave) AS personal_leave,
		sum(t.sick_leave) AS sick_leave, sum(t.skipped) AS skipped
		FROM students, attendance.stats(students.ids, NULL, NULL,
		    v_from, v_to) t
		GROUP BY t.student_id HAVING sum(t.held_hours) > 0)
	    SELECT jsonb_build_object('month', to_char(p_month, 'YYYY-MM'),
		'timezone', v_tz,
		'items', coalesce(jsonb_agg(jsonb_build_object(
		    'student_id', a.login,
		    'name', a.given_name || ' ' || a.family_name,
		    'school', a.school, 'hours_held', p.held,
		    'attended_hours', p.held - p.absence,
		    'absence_hours', p.absence,
		    'attendance_rate', attendance.pct(p.held - p.absence, p.held),
		    'present', p.present, 'late', p.late,
		    'left_early', p.left_early,
		    'personal_leave', p.personal_leave,
		    'sick_leave', p.sick_leave, 'skipped', p.skipped)
		    ORDER BY a.login), '[]'))
	    FROM per p JOIN auth.accounts a ON a.id = p.student_id);
END $$;

-- Where a visible student stands against the threshold this semester.
CREATE FUNCTION attendance.warning_levels(p_caller uuid, p_roles text[],
    p_school_year text, p_semester int)
RETURNS TABLE (student_id uuid, rate numeric, level text)
LANGUAGE sql STABLE AS $$
	WITH ids AS (SELECT array_agg(v.student_id) AS a
		FROM attendance.visible_students(p_caller, p_roles) v),
	per AS (SELECT t.student_id, attendance.pct(sum(t.held_hours) -
		sum(t.absence_hours), sum(t.held_hours)) AS rate
		FROM ids, attendance.stats(ids.a, p_school_year, p_semester,
		    '-infinity', 'infinity') t
		GROUP BY t.student_id HAVING sum(t.held_hours) > 0)
	SELECT per.student_id, per.rate, CASE
	    WHEN per.rate < p.warn_threshold THEN 'below'
	    WHEN per.rate < p.warn_threshold + p.warn_margin THEN 'trending'
	    ELSE 'ok' END
	FROM per, attendance.policy p;
$$;

CREATE FUNCTION attendance.warnings_list(p_caller uuid, p_roles text[],
    p_school_year text, p_semester int, p_limit int, p_offset int)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	WITH w AS (SELECT l.*, a.login FROM attendance.warning_levels(p_caller,
		p_roles, p_school_year, p_semester) l
		JOIN auth.accounts a ON a.id = l.student_id
		WHERE l.level <> 'ok')
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

-- Records each visible student's level and sends an in-site warning when
-- it gets worse (ok -> trending -> below): once per crossing. Improving
-- re-arms the warning without a message.
CREATE FUNCTION attendance.warnings_send(p_caller uuid, p_roles text[],
    p_school_year text, p_semester int, p_request_id text, p_client text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v	record;
	v_th	numeric;
	v_old	text;
	n_eval	int := 0;
	n_sent	int := 0;
BEGIN
	IF NOT p_roles && ARRAY['counsellor', 'secretary', 'io', 'admin'] THEN
		RETURN attendance.err('forbidden');
	END IF;
	SELECT warn_threshold INTO v_th FROM attendance.policy;
	FOR v IN SELECT l.student_id, l.rate, l.level
	    FROM attendance.warning_levels(p_caller, p_roles, p_school_year,
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
			    'semester', p_semester), p_caller);
			UPDATE attendance.warning_state SET warned_at = now()
			WHERE student_id = v.student_id
			    AND school_year = p_school_year
			    AND semester = p_semester;
			PERFORM attendance.audit(p_caller, 'warning.sent',
			    v.student_id, NULL, NULL, NULL, jsonb_build_object(
			    'level', v.level, 'rate', v.rate), p_request_id,
			    p_client);
			n_sent := n_sent + 1;
		END IF;
	END LOOP;
	RETURN jsonb_build_object('evaluated', n_eval, 'warned', n_sent);
END $$;
