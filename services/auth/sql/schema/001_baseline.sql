-- auth's tables as the first version of the system created them (the
-- deploy/migrations of commit fe869ae): accounts, roles and scopes,
-- sessions with rotating refresh tokens, login failures, verification
-- codes, the audit log and WeChat bindings. A database built by that
-- version already has them: the migrator records this file as applied.

CREATE TABLE auth.accounts (
	id			uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	login			text NOT NULL
				    CHECK (login ~ '^[A-Za-z0-9]{4,20}$'),
	kind			text NOT NULL CHECK (kind IN ('student', 'staff')),
	family_name		text NOT NULL CHECK (length(family_name) BETWEEN 1 AND 80),
	given_name		text NOT NULL CHECK (length(given_name) BETWEEN 1 AND 80),
	chinese_name		text CHECK (length(chinese_name) <= 40),
	school			text CHECK (length(school) <= 80),
	degree			text CHECK (degree IN ('bachelor', 'master', 'phd',
				    'non-degree')),
	cohort			integer CHECK (cohort BETWEEN 1900 AND 2100),
	nationality		text CHECK (length(nationality) <= 60),
	sex			text CHECK (sex IN ('male', 'female')),
	password_hash		text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
	must_change_password	boolean NOT NULL DEFAULT true,
	email			text CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
	email_verified_at	timestamptz,
	mobile			text CHECK (mobile ~ '^1[0-9]{10}$'),
	mobile_verified_at	timestamptz,
	disabled		boolean NOT NULL DEFAULT false,
	created_at		timestamptz NOT NULL DEFAULT now(),
	updated_at		timestamptz NOT NULL DEFAULT now(),
	CHECK (kind = 'staff' OR (school IS NOT NULL AND degree IS NOT NULL
	    AND cohort IS NOT NULL))
);
CREATE UNIQUE INDEX accounts_login ON auth.accounts (lower(login));
CREATE UNIQUE INDEX accounts_email ON auth.accounts (lower(email))
    WHERE email_verified_at IS NOT NULL;
CREATE UNIQUE INDEX accounts_mobile ON auth.accounts (mobile)
    WHERE mobile_verified_at IS NOT NULL;

CREATE TABLE auth.account_roles (
	account_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	role		text NOT NULL CHECK (role IN ('student', 'teacher',
			    'counsellor', 'secretary', 'io', 'finance', 'leader',
			    'admin')),
	PRIMARY KEY (account_id, role)
);

-- What a staff member may see: a counsellor's students, a secretary's school.
CREATE TABLE auth.staff_scopes (
	staff_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	scope		text NOT NULL CHECK (scope IN ('student', 'school')),
	value		text NOT NULL CHECK (length(value) BETWEEN 1 AND 80),
	PRIMARY KEY (staff_id, scope, value)
);

-- Failures are kept per login name, existing or not, so lockout does not
-- tell an attacker which accounts exist.
CREATE TABLE auth.login_failures (
	login		text PRIMARY KEY,
	failures	integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
	locked_until	timestamptz,
	last_failure_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE auth.sessions (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	account_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	client		text NOT NULL CHECK (client IN ('web', 'miniprogram', 'cli')),
	wechat_openid	text,
	user_agent	text CHECK (length(user_agent) <= 300),
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	revoked_at	timestamptz,
	revoke_reason	text
);
CREATE INDEX sessions_account ON auth.sessions (account_id);

-- Refresh tokens are stored as HMAC-SHA256 hex; a session is a family.
CREATE TABLE auth.refresh_tokens (
	token_hash	text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
	session_id	uuid NOT NULL REFERENCES auth.sessions (id) ON DELETE CASCADE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz
);
CREATE INDEX refresh_tokens_session ON auth.refresh_tokens (session_id);

CREATE TABLE auth.verification_codes (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	account_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	purpose		text NOT NULL CHECK (purpose IN ('bind-email',
			    'bind-mobile', 'recover-email', 'recover-mobile')),
	target		text NOT NULL,
	code_hash	text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	max_attempts	integer NOT NULL CHECK (max_attempts > 0),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	consumed_at	timestamptz
);
CREATE INDEX verification_codes_active ON auth.verification_codes
    (account_id, purpose, created_at DESC);

CREATE TABLE auth.audit_log (
	id		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	actor_id	uuid,
	action		text NOT NULL,
	target_id	uuid,
	details		jsonb NOT NULL DEFAULT '{}',
	request_id	text,
	client		text
);
CREATE INDEX audit_log_target ON auth.audit_log (target_id, at);

-- A WeChat identity (openid of the official account / mini-program under
-- one unionid-less app pair) bound to one account, and one per account.
CREATE TABLE auth.wechat_bindings (
	account_id	uuid PRIMARY KEY REFERENCES auth.accounts (id) ON DELETE CASCADE,
	openid		text NOT NULL UNIQUE CHECK (length(openid) BETWEEN 6 AND 64),
	unionid		text CHECK (length(unionid) <= 64),
	bound_at	timestamptz NOT NULL DEFAULT now()
);

-- Short-lived tickets behind the binding QR and the web "log in by WeChat
-- scan" QR. The scene id sent to WeChat is random; only its hash is kept.
CREATE TABLE auth.wechat_tickets (
	scene_hash	text PRIMARY KEY CHECK (scene_hash ~ '^[0-9a-f]{64}$'),
	kind		text NOT NULL CHECK (kind IN ('bind', 'login')),
	account_id	uuid REFERENCES auth.accounts (id) ON DELETE CASCADE,
	wechat_ticket	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	scanned_openid	text,
	scanned_at	timestamptz,
	state		text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending',
			    'scanned', 'needs-confirmation', 'bound', 'consumed',
			    'unbound-scan')),
	CHECK (kind = 'login' OR account_id IS NOT NULL)
);
