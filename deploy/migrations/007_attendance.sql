-- attendance: rooms, courses, enrolments, class sessions, check-in records,
-- leave applications with evidence, corrections with an audit trail, the
-- conversion policy, rates, the monthly report and low-attendance warnings.
-- Each operation is one SQL function (one round trip, one transaction)
-- returning jsonb; {"error": code, ...} is a refusal.
--
-- Callers are identified by (p_caller, p_roles) taken from the verified
-- access token; every function checks what the caller may see or change.

-- The conversion and check-in policy (one row; admins change it).
CREATE TABLE attendance.policy (
	id			boolean PRIMARY KEY DEFAULT true CHECK (id),
	-- N late arrivals (or early departures) = 1 absence of that session.
	late_per_absence	integer NOT NULL DEFAULT 1
				    CHECK (late_per_absence BETWEEN 1 AND 10),
	early_per_absence	integer NOT NULL DEFAULT 1
				    CHECK (early_per_absence BETWEEN 1 AND 10),
	-- Minutes after the start a QR check-in still counts as present.
	grace_minutes		integer NOT NULL DEFAULT 0
				    CHECK (grace_minutes BETWEEN 0 AND 30),
	-- How long before the start a teacher may open check-in.
	open_before_minutes	integer NOT NULL DEFAULT 30
				    CHECK (open_before_minutes BETWEEN 0 AND 120),
	max_accuracy_m		integer NOT NULL DEFAULT 100
				    CHECK (max_accuracy_m BETWEEN 5 AND 1000),
	warn_threshold		numeric(5,2) NOT NULL DEFAULT 80
				    CHECK (warn_threshold BETWEEN 0 AND 100),
	-- "Trending below": real-time rate under threshold + margin.
	warn_margin		numeric(5,2) NOT NULL DEFAULT 5
				    CHECK (warn_margin BETWEEN 0 AND 50),
	timezone		text NOT NULL DEFAULT 'Asia/Shanghai',
	updated_at		timestamptz NOT NULL DEFAULT now(),
	updated_by		uuid
);
INSERT INTO attendance.policy DEFAULT VALUES;

CREATE TABLE attendance.rooms (
	code		text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9-]{1,20}$'),
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
	latitude	double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
	longitude	double precision NOT NULL
			    CHECK (longitude BETWEEN -180 AND 180),
	radius_m	integer NOT NULL CHECK (radius_m BETWEEN 5 AND 1000)
);

CREATE TABLE attendance.courses (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	code		text NOT NULL CHECK (code ~ '^[A-Za-z0-9-]{2,20}$'),
	school_year	text NOT NULL CHECK (school_year ~ '^[0-9]{4}-[0-9]{4}$'
			    AND split_part(school_year, '-', 2)::int =
				split_part(school_year, '-', 1)::int + 1),
	semester	smallint NOT NULL CHECK (semester IN (1, 2)),
	name_en		text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
	name_zh		text CHECK (length(name_zh) <= 100),
	hours		numeric(6,1) NOT NULL CHECK (hours > 0 AND hours <= 500),
	teacher_id	uuid REFERENCES auth.accounts (id),
	school		text CHECK (length(school) <= 80),
	UNIQUE (code, school_year, semester)
);
CREATE INDEX courses_teacher ON attendance.courses (teacher_id);

CREATE TABLE attendance.enrolments (
	course_id	uuid NOT NULL REFERENCES attendance.courses (id)
			    ON DELETE CASCADE,
	student_id	uuid NOT NULL REFERENCES auth.accounts (id)
			    ON DELETE CASCADE,
	PRIMARY KEY (course_id, student_id)
);
CREATE INDEX enrolments_student ON attendance.enrolments (student_id);

CREATE TABLE attendance.class_sessions (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	course_id		uuid NOT NULL REFERENCES attendance.courses (id)
				    ON DELETE CASCADE,
	starts_at		timestamptz NOT NULL,
	ends_at			timestamptz NOT NULL,
	room			text REFERENCES attendance.rooms (code),
	hours			numeric(4,1) NOT NULL CHECK (hours > 0 AND hours <= 12),
	method			text NOT NULL DEFAULT 'qr'
				    CHECK (method IN ('qr', 'roll_call',
				    'sign_in_sheet')),
	checkin_opened_at	timestamptz,
	checkin_closed_at	timestamptz,
	CHECK (ends_at > starts_at AND ends_at - starts_at <= interval '12 hours'),
	CHECK (method <> 'qr' OR room IS NOT NULL),
	UNIQUE (course_id, starts_at)
);

-- One record per student and session. QR scans after the start are
-- absent and final (classrooms are on camera): no correction changes them.
CREATE TABLE attendance.records (
	student_id	uuid NOT NULL REFERENCES auth.accounts (id)
			    ON DELETE CASCADE,
	session_id	uuid NOT NULL REFERENCES attendance.class_sessions (id)
			    ON DELETE CASCADE,
	status		text NOT NULL CHECK (status IN ('present', 'late',
			    'left_early', 'personal_leave', 'sick_leave',
			    'absent')),
	source		text NOT NULL CHECK (source IN ('qr', 'roll_call',
			    'sign_in_sheet', 'leave', 'correction')),
	final		boolean NOT NULL DEFAULT false,
	late_scan	boolean NOT NULL DEFAULT false,
	checked_in_at	timestamptz,
	latitude	double precision,
	longitude	double precision,
	accuracy_m	real,
	distance_m	real,
	recorded_by	uuid,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (student_id, session_id)
);
CREATE INDEX records_session ON attendance.records (session_id);

-- Uploaded evidence: hospital certificates, screenshots. Type is checked
-- by content in the service; the size is bounded by nginx and here.
CREATE TABLE attendance.evidence (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	owner_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	content_type	text NOT NULL CHECK (content_type IN ('application/pdf',
			    'image/jpeg', 'image/png')),
	size		integer NOT NULL CHECK (size BETWEEN 1 AND 5242880),
	sha256		text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	data		bytea NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evidence_owner ON attendance.evidence (owner_id);

CREATE TABLE attendance.leave_requests (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	student_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind IN ('personal', 'sick')),
	reason		text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
	certificate_id	uuid REFERENCES attendance.evidence (id),
	starts_at	timestamptz NOT NULL,
	ends_at		timestamptz NOT NULL,
	status		text NOT NULL DEFAULT 'pending' CHECK (status IN
			    ('pending', 'approved', 'rejected', 'withdrawn')),
	decided_by	uuid,
	decided_at	timestamptz,
	decision_comment text CHECK (length(decision_comment) <= 1000),
	created_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (kind = 'personal' OR certificate_id IS NOT NULL),
	CHECK (ends_at > starts_at)
);
CREATE INDEX leave_requests_student ON attendance.leave_requests
    (student_id, created_at DESC);

CREATE TABLE attendance.leave_sessions (
	leave_id	uuid NOT NULL REFERENCES attendance.leave_requests (id)
			    ON DELETE CASCADE,
	session_id	uuid NOT NULL REFERENCES attendance.class_sessions (id)
			    ON DELETE CASCADE,
	PRIMARY KEY (leave_id, session_id)
);

CREATE TABLE attendance.audit_log (
	id		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	actor_id	uuid,
	action		text NOT NULL,
	student_id	uuid,
	session_id	uuid,
	before		jsonb,
	after		jsonb,
	details		jsonb NOT NULL DEFAULT '{}',
	request_id	text,
	client		text
);
CREATE INDEX attendance_audit_student ON attendance.audit_log (student_id, at);

-- Where each student stands against the warning threshold, so a warning
-- is sent once per crossing and not on every evaluation.
CREATE TABLE attendance.warning_state (
	student_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	school_year	text NOT NULL,
	semester	smallint NOT NULL,
	level		text NOT NULL CHECK (level IN ('ok', 'trending', 'below')),
	rate		numeric(6,2),
	changed_at	timestamptz NOT NULL DEFAULT now(),
	warned_at	timestamptz,
	PRIMARY KEY (student_id, school_year, semester)
);

-- In-site messages (the messaging service's inbox): other services post
-- through messaging.post_inbox.
CREATE TABLE messaging.inbox (
	id		bigserial PRIMARY KEY,
	recipient_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.-]{0,40}$'),
	subject		text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
	body		text NOT NULL CHECK (length(body) <= 20000),
	details		jsonb NOT NULL DEFAULT '{}',
	sender_id	uuid,
	created_at	timestamptz NOT NULL DEFAULT now(),
	read_at		timestamptz
);
CREATE INDEX inbox_recipient ON messaging.inbox (recipient_id, id DESC);

CREATE FUNCTION messaging.post_inbox(p_recipient uuid, p_kind text,
    p_subject text, p_body text, p_details jsonb, p_sender uuid)
RETURNS bigint LANGUAGE sql AS $$
	INSERT INTO messaging.inbox (recipient_id, kind, subject, body,
	    details, sender_id)
	VALUES (p_recipient, p_kind, p_subject, p_body,
	    coalesce(p_details, '{}'), p_sender)
	RETURNING id;
$$;

-- ---------------------------------------------------------------------
-- Helpers

CREATE FUNCTION attendance.err(p_code text, p_detail text DEFAULT NULL,
    p_errors jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('error', p_code,
	    'detail', p_detail, 'errors', p_errors));
$$;

CREATE FUNCTION attendance.audit(p_actor uuid, p_action text,
    p_student uuid, p_session uuid, p_before jsonb, p_after jsonb,
    p_details jsonb, p_request_id text, p_client text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO attendance.audit_log (actor_id, action, student_id,
	    session_id, before, after, details, request_id, client)
	VALUES (p_actor, p_action, p_student, p_session, p_before, p_after,
	    coalesce(p_details, '{}'), p_request_id, p_client);
$$;

CREATE FUNCTION attendance.is_office(p_roles text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT p_roles && ARRAY['io', 'finance', 'leader', 'admin'];
$$;

-- Who may read a student's attendance: auth's rule, plus the teachers of
-- the student's courses.
CREATE FUNCTION attendance.can_read_student(p_caller uuid, p_roles text[],
    p_student uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT auth.can_read_student(p_caller, p_student)
	    OR ('teacher' = ANY (p_roles) AND EXISTS (
		SELECT 1 FROM attendance.enrolments e
		JOIN attendance.courses c ON c.id = e.course_id
		WHERE e.student_id = p_student AND c.teacher_id = p_caller));
$$;

-- Students whose records the caller may list (staff views).
CREATE FUNCTION attendance.visible_students(p_caller uuid, p_roles text[])
RETURNS TABLE (student_id uuid) LANGUAGE sql STABLE AS $$
	SELECT a.id FROM auth.accounts a
	WHERE a.kind = 'student' AND (
	    attendance.is_office(p_roles)
	    OR ('counsellor' = ANY (p_roles) AND EXISTS (
		SELECT 1 FROM auth.staff_scopes s WHERE s.staff_id = p_caller
		AND s.scope = 'student' AND s.value = a.id::text))
	    OR ('secretary' = ANY (p_roles) AND EXISTS (
		SELECT 1 FROM auth.staff_scopes s WHERE s.staff_id = p_caller
		AND s.scope = 'school' AND s.value = a.school))
	    OR ('teacher' = ANY (p_roles) AND EXISTS (
		SELECT 1 FROM attendance.enrolments e
		JOIN attendance.courses c ON c.id = e.course_id
		WHERE e.student_id = a.id AND c.teacher_id = p_caller)));
$$;

CREATE FUNCTION attendance.can_see_course(p_caller uuid, p_roles text[],
    p_course uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT attendance.is_office(p_roles)
	    OR EXISTS (SELECT 1 FROM attendance.courses c WHERE c.id = p_course
		AND (c.teacher_id = p_caller OR ('secretary' = ANY (p_roles)
		AND EXISTS (SELECT 1 FROM auth.staff_scopes s
		    WHERE s.staff_id = p_caller AND s.scope = 'school'
		    AND s.value = c.school))))
	    OR EXISTS (SELECT 1 FROM attendance.enrolments e
		WHERE e.course_id = p_course AND (e.student_id = p_caller
		OR ('counsellor' = ANY (p_roles) AND EXISTS (
		    SELECT 1 FROM auth.staff_scopes s
		    WHERE s.staff_id = p_caller AND s.scope = 'student'
		    AND s.value = e.student_id::text))));
$$;

-- The teacher of the session's course (or an admin) may run it.
CREATE FUNCTION attendance.runs_session(p_caller uuid, p_roles text[],
    p_session uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT 'admin' = ANY (p_roles) OR EXISTS (
	    SELECT 1 FROM attendance.class_sessions s
	    JOIN attendance.courses c ON c.id = s.course_id
	    WHERE s.id = p_session AND c.teacher_id = p_caller
	    AND 'teacher' = ANY (p_roles));
$$;

CREATE FUNCTION attendance.distance_m(lat1 double precision,
    lon1 double precision, lat2 double precision, lon2 double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
	SELECT 2 * 6371008.8 * asin(sqrt(
	    power(sin(radians(lat2 - lat1) / 2), 2) +
	    cos(radians(lat1)) * cos(radians(lat2)) *
	    power(sin(radians(lon2 - lon1) / 2), 2)));
$$;

CREATE FUNCTION attendance.student_brief(p_student uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', a.id, 'student_id', a.login,
	    'name', a.given_name || ' ' || a.family_name,
	    'chinese_name', a.chinese_name, 'school', a.school)
	FROM auth.accounts a WHERE a.id = p_student;
$$;

CREATE FUNCTION attendance.record_json(r attendance.records) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('student', r.student_id,
	    'session_id', r.session_id, 'status', r.status, 'source', r.source,
	    'final', r.final, 'late_scan', r.late_scan,
	    'checked_in_at', r.checked_in_at,
	    'distance_m', round(r.distance_m::numeric, 1),
	    'updated_at', r.updated_at));
$$;

CREATE FUNCTION attendance.session_json(p_session uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', s.id, 'course_id', c.id,
	    'course_code', c.code, 'course_name', c.name_en,
	    'course_name_zh', c.name_zh, 'starts_at', s.starts_at,
	    'ends_at', s.ends_at, 'room', s.room, 'hours', s.hours,
	    'method', s.method,
	    'checkin', CASE WHEN s.checkin_opened_at IS NULL THEN 'not_opened'
		WHEN s.checkin_closed_at IS NOT NULL THEN 'closed'
		ELSE 'open' END,
	    'checkin_opened_at', s.checkin_opened_at,
	    'checkin_closed_at', s.checkin_closed_at)
	FROM attendance.class_sessions s
	JOIN attendance.courses c ON c.id = s.course_id
	WHERE s.id = p_session;
$$;
