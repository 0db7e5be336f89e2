-- Rates. A session is "held" once it has started. For each held session
-- of an enrolled course a student has a status: present, late,
-- left_early, personal_leave, sick_leave, or skipped (no record, or absent
-- -- a late QR scan is absent). Hours of absence follow the policy:
-- personal leave and skipping count fully; every Nth late arrival (early
-- departure) of a course counts as an absence of that session,
-- N = late_per_absence (early_per_absence); sick leave counts as attendance.
--   real-time rate = attended hours / hours held so far
--   overall rate   = attended hours / total course hours
-- A student's per-course rows are computed once (stats) and the semester
-- figures summed from them (rates_summary): with a year of data for 5,000
-- students a student's rates take about 2 ms (tests/bench/rates.sh).

-- Per student and course, over sessions held in [p_from, p_to).
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

-- The semester figures from summed hours (NULL for no courses).
CREATE OR REPLACE FUNCTION attendance.rates_summary(p_course_hours numeric,
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

CREATE OR REPLACE FUNCTION attendance.semester_summary(p_student uuid,
    p_school_year text, p_semester int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT attendance.rates_summary(sum(t.course_hours),
	    sum(t.held_hours), sum(t.absence_hours))
	FROM attendance.stats(ARRAY[p_student], p_school_year, p_semester,
	    '-infinity', 'infinity') t;
$$;
