-- QR check-in. The service verifies the code's signature and window; these
-- check everything that needs the database.

-- When a scan arrived: the service's time of its request (seconds since the
-- epoch), bounded by the database's clock, never later than now and at
-- most a minute earlier. Lateness and closing are judged by it, so a scan
-- that queued behind others (in the service or for a connection) across
-- the start of the class is not made a final absence.
CREATE OR REPLACE FUNCTION attendance.arrival(p_at double precision)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
	SELECT least(now(), greatest(coalesce(to_timestamp(p_at), now()),
	    now() - interval '60 seconds'));
$$;

-- A QR check-in. The service has verified the code's signature and time
-- window; this checks everything that needs the database. Idempotent: a
-- repeated scan answers the record already there.
CREATE OR REPLACE FUNCTION attendance.checkin(p_session uuid, p_student uuid,
    p_roles text[], p_wx text, p_lat double precision,
    p_lon double precision, p_accuracy double precision,
    p_arrived double precision)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_at	timestamptz := attendance.arrival(p_arrived);
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
	-- Only a QR session in its room takes scans (whatever was opened).
	IF v_s.method <> 'qr' THEN
		RETURN attendance.err('checkin-not-qr');
	END IF;
	IF v_s.checkin_opened_at IS NULL OR v_s.checkin_closed_at <= v_at
	    OR v_at >= v_s.ends_at THEN
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
	IF v_dist IS NULL OR v_dist > v_s.radius_m THEN
		RETURN attendance.err('outside-classroom', format(
		    'You are %s m from the classroom; check in within %s m',
		    round(v_dist::numeric), v_s.radius_m));
	END IF;
	v_late := v_at > v_s.starts_at + make_interval(mins =>
	    v_pol.grace_minutes);
	INSERT INTO attendance.records (student_id, session_id, status, source,
	    final, late_scan, checked_in_at, latitude, longitude, accuracy_m,
	    distance_m, recorded_by)
	VALUES (p_student, p_session,
	    CASE WHEN v_late THEN 'absent' ELSE 'present' END, 'qr', v_late,
	    v_late, v_at, p_lat, p_lon, p_accuracy, v_dist, p_student)
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

-- Check-ins in batches. The service queues the scans that arrive together
-- (the start of a class) and sends them as one statement: one executor
-- start-up and one commit for many records instead of one each. Every
-- check of attendance.checkin is made per item, in the joins below; an
-- item that fails any of them (or is a repeat scan) returns no row, and the
-- service asks attendance.checkin for that one alone, which says why.
--
-- p_items: [{"i": n, "session": uuid, "student": uuid, "roles": [text],
--            "wx": openid, "lat": deg, "lon": deg, "acc": metres,
--            "at": arrival, seconds since the epoch}, ...]
-- Returns (idx, result) for each item inserted, result as checkin's.
CREATE OR REPLACE FUNCTION attendance.checkin_batch(p_items jsonb)
RETURNS TABLE (idx int, result jsonb) LANGUAGE plpgsql
-- A custom plan per call costs more than running the statement.
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
	RETURN QUERY
	WITH item AS (
		SELECT x.* FROM jsonb_to_recordset(p_items) AS x(i int,
		    session uuid, student uuid, roles text[], wx text,
		    lat float8, lon float8, acc float8, at float8)
	), bound AS (
		-- auth says which WeChat each student has bound now.
		SELECT b.account_id, b.openid FROM auth.wechat_openids(ARRAY(
		    SELECT x.student FROM item x)) b
	), passed AS (
		SELECT x.student, s.id AS session, x.lat, x.lon, x.acc,
		    attendance.arrival(x.at) AS at,
		    attendance.arrival(x.at) > s.starts_at + make_interval(
			mins => p.grace_minutes) AS late,
		    attendance.distance_m(ro.latitude, ro.longitude, x.lat,
			x.lon) AS dist, ro.radius_m
		FROM item x
		JOIN attendance.class_sessions s ON s.id = x.session
		JOIN attendance.rooms ro ON ro.code = s.room
		JOIN attendance.enrolments e ON e.course_id = s.course_id
		    AND e.student_id = x.student
		JOIN bound b ON b.account_id = x.student AND b.openid = x.wx
		CROSS JOIN attendance.policy p
		WHERE 'student' = ANY (x.roles) AND s.method = 'qr'
		    AND s.checkin_opened_at IS NOT NULL
		    AND (s.checkin_closed_at IS NULL OR s.checkin_closed_at >
			attendance.arrival(x.at))
		    AND attendance.arrival(x.at) < s.ends_at
		    AND x.acc <= p.max_accuracy_m
	), inserted AS (
		INSERT INTO attendance.records AS r (student_id, session_id,
		    status, source, final, late_scan, checked_in_at, latitude,
		    longitude, accuracy_m, distance_m, recorded_by)
		SELECT DISTINCT ON (v.student, v.session) v.student, v.session,
		    CASE WHEN v.late THEN 'absent' ELSE 'present' END, 'qr',
		    v.late, v.late, v.at, v.lat, v.lon, v.acc, v.dist,
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
