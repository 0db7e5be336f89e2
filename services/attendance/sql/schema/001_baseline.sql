-- attendance's tables as the first version of the system created them (the
-- deploy/migrations of commit fe869ae): the conversion policy, rooms,
-- courses, enrolments, class sessions, check-in records, evidence, leave,
-- the audit trail and warning state. A database built by that version
-- already has them: the migrator records this file as applied.

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
CREATE INDEX class_sessions_starts ON attendance.class_sessions (starts_at);

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
-- The rates look a record up by (session, student) for each held session;
-- this index serves that lookup exactly and every query by session too.
CREATE INDEX records_session_student ON attendance.records (session_id,
    student_id);

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
