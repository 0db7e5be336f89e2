-- The stipend report: every student with classes held in the month (by
-- default the previous one).
CREATE OR REPLACE FUNCTION attendance.monthly_report(p_caller uuid, p_roles text[],
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
	-- Stipends are paid on the previous month's attendance.
	p_month := coalesce(p_month, (date_trunc('month', now() AT TIME ZONE
	    v_tz) - interval '1 month')::date);
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
		    'student_id', a.login, 'name', a.name,
		    'school', a.school, 'hours_held', p.held,
		    'attended_hours', p.held - p.absence,
		    'absence_hours', p.absence,
		    'attendance_rate', attendance.pct(p.held - p.absence, p.held),
		    'present', p.present, 'late', p.late,
		    'left_early', p.left_early,
		    'personal_leave', p.personal_leave,
		    'sick_leave', p.sick_leave, 'skipped', p.skipped)
		    ORDER BY a.login), '[]'))
	    FROM per p JOIN auth.people((SELECT ids FROM students)) a
		ON a.id = p.student_id);
END $$;
