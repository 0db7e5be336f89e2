-- Check-ins in batches. The service queues the scans that arrive together
-- (the start of a class) and sends them as one statement: one executor
-- start-up and one commit for many records instead of one each. Every
-- check of attendance.checkin is made per item, in the joins below; an
-- item that fails any of them (or is a repeat scan) returns no row, and the
-- service asks attendance.checkin for that one alone, which says why.
--
-- p_items: [{"i": n, "session": uuid, "student": uuid, "roles": [text],
--            "wx": openid, "lat": deg, "lon": deg, "acc": metres}, ...]
-- Returns (idx, result) for each item inserted, result as checkin's.
CREATE FUNCTION attendance.checkin_batch(p_items jsonb)
RETURNS TABLE (idx int, result jsonb) LANGUAGE plpgsql
-- A custom plan per call costs more than running the statement.
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
	RETURN QUERY
	WITH item AS (
		SELECT x.* FROM jsonb_to_recordset(p_items) AS x(i int,
		    session uuid, student uuid, roles text[], wx text,
		    lat float8, lon float8, acc float8)
	), passed AS (
		SELECT x.student, s.id AS session, x.lat, x.lon, x.acc,
		    now() > s.starts_at + make_interval(mins =>
			p.grace_minutes) AS late,
		    attendance.distance_m(ro.latitude, ro.longitude, x.lat,
			x.lon) AS dist, ro.radius_m
		FROM item x
		JOIN attendance.class_sessions s ON s.id = x.session
		JOIN attendance.rooms ro ON ro.code = s.room
		JOIN attendance.enrolments e ON e.course_id = s.course_id
		    AND e.student_id = x.student
		JOIN auth.wechat_bindings b ON b.account_id = x.student
		    AND b.openid = x.wx
		CROSS JOIN attendance.policy p
		WHERE 'student' = ANY (x.roles)
		    AND s.checkin_opened_at IS NOT NULL
		    AND s.checkin_closed_at IS NULL AND now() < s.ends_at
		    AND x.acc <= p.max_accuracy_m
	), inserted AS (
		INSERT INTO attendance.records AS r (student_id, session_id,
		    status, source, final, late_scan, checked_in_at, latitude,
		    longitude, accuracy_m, distance_m, recorded_by)
		SELECT DISTINCT ON (v.student, v.session) v.student, v.session,
		    CASE WHEN v.late THEN 'absent' ELSE 'present' END, 'qr',
		    v.late, v.late, now(), v.lat, v.lon, v.acc, v.dist,
		    v.student
		FROM passed v WHERE v.dist <= v.radius_m
		ON CONFLICT DO NOTHING
		RETURNING r.*
	)
	-- The same scan twice in one batch: both get the one record.
	SELECT x.i, jsonb_build_object('duplicate', false,
	    'record', attendance.record_json(n))
	FROM inserted n JOIN item x ON x.student = n.student_id
	    AND x.session = n.session_id;
END $$;

-- Replaced by checkin_batch.
DROP FUNCTION attendance.checkin_fast(uuid, uuid, text[], text,
    double precision, double precision, double precision);
