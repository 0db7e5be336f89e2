-- attendance: low-attendance warnings without anyone asking for them.
--
-- The service runs attendance.warnings_sweep() periodically
-- (attendance.warnings_interval, an hour by default): for every term in
-- progress it evaluates every student, as POST /warnings/send does for a
-- member of staff, and posts the in-site warning once per threshold
-- crossing. The messages and the audit entries have no actor: the system
-- sent them.

-- Terms in progress: one of their classes started in the last 30 days.
CREATE FUNCTION attendance.current_terms()
RETURNS TABLE (school_year text, semester int)
LANGUAGE sql STABLE AS $$
	SELECT DISTINCT c.school_year, c.semester::int
	FROM attendance.class_sessions s
	JOIN attendance.courses c ON c.id = s.course_id
	WHERE s.starts_at > now() - interval '30 days' AND s.starts_at <= now()
	ORDER BY 1, 2;
$$;

CREATE INDEX class_sessions_starts ON attendance.class_sessions (starts_at);

-- One sweep at a time across every instance of the service.
CREATE FUNCTION attendance.warnings_sweep() RETURNS jsonb
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
		    || attendance.warnings_send(NULL, ARRAY['admin'],
			t.school_year, t.semester, NULL, 'system'));
	END LOOP;
	RETURN jsonb_build_object('sweep', 'warnings', 'terms', v_terms);
END $$;
