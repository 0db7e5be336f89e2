-- attendance: a student's rates in one pass over their records.
--
-- student_rates ran attendance.stats once for the courses and once more
-- per semester for the summary. Now the per-course rows are computed once
-- and the semester figures are summed from them; one function,
-- rates_summary, makes the figures for both student_rates and
-- semester_summary. With a year of data for 5,000 students a student's
-- rates take about 2 ms in the database (tests/bench/rates.sh).

-- The semester figures from summed hours (NULL for no courses).
CREATE FUNCTION attendance.rates_summary(p_course_hours numeric,
    p_held numeric, p_absence numeric) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_course_hours IS NOT NULL THEN jsonb_build_object(
	    'course_hours', p_course_hours,
	    'hours_held', p_held,
	    'absence_hours', p_absence,
	    'attended_hours', p_held - p_absence,
	    'realtime_absence_rate', attendance.pct(p_absence, p_held),
	    'total_absence_rate', attendance.pct(p_absence, p_course_hours),
	    'realtime_attendance_rate', attendance.pct(p_held - p_absence,
		p_held),
	    'overall_attendance_rate', attendance.pct(p_held - p_absence,
		p_course_hours)) END;
$$;

CREATE OR REPLACE FUNCTION attendance.stats(p_students uuid[],
    p_school_year text, p_semester int, p_from timestamptz,
    p_to timestamptz)
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
	sess AS (SELECT cs.student_id, cs.id AS course_id, s.id, s.hours,
		s.starts_at
		FROM cs JOIN attendance.class_sessions s ON s.course_id = cs.id
		    AND s.starts_at >= p_from AND s.starts_at < p_to
		    AND s.starts_at <= now()),
	held AS (SELECT x.student_id, x.course_id, x.hours, x.starts_at,
		CASE WHEN r.status IS NULL OR r.status = 'absent'
		    THEN 'skipped' ELSE r.status END AS st,
		coalesce(r.late_scan, false) AS late_scan
		-- One lookup by the primary key per held session. (As a plain
		-- join the planner would rather read all of a session's records
		-- and filter them: about 50 rows for each one kept.)
		FROM sess x LEFT JOIN LATERAL (SELECT r.status, r.late_scan
		    FROM attendance.records r WHERE r.student_id = x.student_id
		    AND r.session_id = x.id LIMIT 1) r ON true),
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

CREATE OR REPLACE FUNCTION attendance.semester_summary(p_student uuid,
    p_school_year text, p_semester int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT attendance.rates_summary(sum(t.course_hours),
	    sum(t.held_hours), sum(t.absence_hours))
	FROM attendance.stats(ARRAY[p_student], p_school_year, p_semester,
	    '-infinity', 'infinity') t;
$$;

CREATE OR REPLACE FUNCTION attendance.student_rates(p_caller uuid,
    p_roles text[], p_student_login text, p_school_year text,
    p_semester int)
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
	RETURN (
	    WITH t AS (SELECT t.*, c.school_year, c.semester, c.code,
		    c.name_en, c.name_zh
		FROM attendance.stats(ARRAY[v_student], p_school_year,
		    p_semester, '-infinity', 'infinity') t
		JOIN attendance.courses c ON c.id = t.course_id),
	    sem AS (SELECT t.school_year, t.semester,
		jsonb_build_object('school_year', t.school_year,
		    'semester', t.semester)
		|| attendance.rates_summary(sum(t.course_hours),
		    sum(t.held_hours), sum(t.absence_hours))
		|| jsonb_build_object('courses', jsonb_agg(
		    jsonb_build_object('course_id', t.course_id,
		    'code', t.code, 'name_en', t.name_en,
		    'name_zh', t.name_zh, 'course_hours', t.course_hours,
		    'hours_held', t.held_hours, 'late', t.late,
		    'left_early', t.left_early,
		    'personal_leave', t.personal_leave,
		    'sick_leave', t.sick_leave, 'skipped', t.skipped,
		    'late_absent', t.late_absent,
		    'absence_hours', t.absence_hours,
		    'attended_hours', t.held_hours - t.absence_hours)
		    ORDER BY t.code)) AS doc
		FROM t GROUP BY t.school_year, t.semester)
	    SELECT jsonb_build_object(
		'student', attendance.student_brief(v_student),
		'policy', (SELECT jsonb_build_object('late_per_absence',
		    late_per_absence, 'early_per_absence', early_per_absence)
		    FROM attendance.policy),
		'semesters', coalesce((SELECT jsonb_agg(sem.doc
		    ORDER BY sem.school_year DESC, sem.semester DESC)
		    FROM sem), '[]')));
END $$;

-- The rates look up one (session, student) record per held session; an
-- index on session_id alone made the planner read every record of the
-- session and filter (about 50 each). This one serves that lookup exactly
-- and every query by session as well.
CREATE INDEX records_session_student ON attendance.records (session_id,
    student_id);
DROP INDEX attendance.records_session;
