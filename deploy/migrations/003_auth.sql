-- auth: accounts, roles and scopes, sessions with rotating refresh tokens,
-- login failures, verification codes, and the audit log. Each operation
-- is one SQL function (one round trip, one transaction) returning jsonb;
-- {"error": code, ...} is a refusal the service answers as problem+json.

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

CREATE FUNCTION auth.audit(p_actor uuid, p_action text, p_target uuid,
    p_details jsonb, p_request_id text, p_client text) RETURNS void
LANGUAGE sql AS $$
	INSERT INTO auth.audit_log (actor_id, action, target_id, details,
	    request_id, client)
	VALUES (p_actor, p_action, p_target, coalesce(p_details, '{}'),
	    p_request_id, p_client);
$$;

CREATE FUNCTION auth.err(p_code text, p_detail text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('error', p_code,
	    'detail', p_detail));
$$;

-- The claims an access token carries for account a in session s.
CREATE FUNCTION auth.claims(p_account uuid, p_session uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'sub', a.id, 'account', a.login, 'sid', s.id, 'client', s.client,
	    'wx', coalesce(s.wechat_openid, ''),
	    'must_change_password', a.must_change_password,
	    'roles', coalesce((SELECT jsonb_agg(r.role ORDER BY r.role)
		FROM auth.account_roles r WHERE r.account_id = a.id),
		'[]'::jsonb))
	FROM auth.accounts a JOIN auth.sessions s ON s.account_id = a.id
	WHERE a.id = p_account AND s.id = p_session;
$$;

-- Opens a session (a refresh-token family) for p_account; p_openid is the
-- WeChat identity it was opened with, if any.
CREATE FUNCTION auth.open_session(p_account uuid, p_client text,
    p_user_agent text, p_openid text, p_refresh_hash text,
    p_refresh_ttl integer, p_action text, p_request_id text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_sid	uuid;
BEGIN
	INSERT INTO auth.sessions (account_id, client, user_agent,
	    wechat_openid, expires_at)
	VALUES (p_account, p_client, left(p_user_agent, 300), p_openid,
	    now() + make_interval(secs => p_refresh_ttl))
	RETURNING id INTO v_sid;
	INSERT INTO auth.refresh_tokens (token_hash, session_id, expires_at)
	VALUES (p_refresh_hash, v_sid,
	    now() + make_interval(secs => p_refresh_ttl));
	PERFORM auth.audit(p_account, p_action, p_account,
	    jsonb_build_object('session', v_sid), p_request_id, p_client);
	RETURN auth.claims(p_account, v_sid);
END $$;

-- First half of a login: the stored hash (NULL when unknown) and lockout.
CREATE FUNCTION auth.login_lookup(p_login text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'account_id', (SELECT id FROM auth.accounts
		WHERE lower(login) = lower(p_login) AND NOT disabled),
	    'hash', (SELECT password_hash FROM auth.accounts
		WHERE lower(login) = lower(p_login) AND NOT disabled),
	    'locked_for', coalesce((SELECT ceil(extract(epoch FROM
		locked_until - now()))::int FROM auth.login_failures
		WHERE login = lower(p_login) AND locked_until > now()), 0));
$$;

-- Second half: record a failure (locking after p_max) or open a session.
CREATE FUNCTION auth.login_finish(p_login text, p_account uuid, p_ok boolean,
    p_refresh_hash text, p_client text, p_user_agent text, p_wechat text,
    p_max_failures integer, p_lock_seconds integer, p_refresh_ttl integer,
    p_request_id text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_fail	auth.login_failures;
BEGIN
	SELECT * INTO v_fail FROM auth.login_failures
	    WHERE login = lower(p_login) FOR UPDATE;
	IF FOUND AND v_fail.locked_until > now() THEN
		RETURN auth.err('account-locked');
	END IF;
	IF NOT p_ok OR p_account IS NULL THEN
		INSERT INTO auth.login_failures AS f (login, failures,
		    last_failure_at)
		VALUES (lower(p_login), 1, now())
		ON CONFLICT (login) DO UPDATE SET
		    failures = CASE WHEN f.last_failure_at <
			now() - make_interval(secs => p_lock_seconds)
			THEN 1 ELSE f.failures + 1 END,
		    last_failure_at = now(), locked_until = NULL
		RETURNING * INTO v_fail;
		IF v_fail.failures >= p_max_failures THEN
			UPDATE auth.login_failures SET failures = 0,
			    locked_until = now() + make_interval(secs => p_lock_seconds)
			WHERE login = lower(p_login);
			PERFORM auth.audit(p_account, 'login.locked', p_account,
			    jsonb_build_object('login', p_login), p_request_id,
			    p_client);
		END IF;
		PERFORM auth.audit(p_account, 'login.failed', p_account,
		    jsonb_build_object('login', p_login), p_request_id, p_client);
		RETURN auth.err('invalid-credentials');
	END IF;
	DELETE FROM auth.login_failures WHERE login = lower(p_login);
	RETURN auth.open_session(p_account, p_client, p_user_agent, p_wechat,
	    p_refresh_hash, p_refresh_ttl, 'login', p_request_id);
END $$;

-- Rotates a refresh token. Presenting an already-rotated token means it
-- was stolen or replayed: the whole session (token family) is revoked.
CREATE FUNCTION auth.refresh(p_hash text, p_new_hash text,
    p_refresh_ttl integer, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_tok	auth.refresh_tokens;
	v_s	auth.sessions;
BEGIN
	SELECT * INTO v_tok FROM auth.refresh_tokens
	    WHERE token_hash = p_hash FOR UPDATE;
	IF NOT FOUND THEN
		RETURN auth.err('invalid-refresh-token');
	END IF;
	SELECT * INTO v_s FROM auth.sessions WHERE id = v_tok.session_id
	    FOR UPDATE;
	IF v_s.revoked_at IS NOT NULL OR v_s.expires_at < now() THEN
		RETURN auth.err('invalid-refresh-token');
	END IF;
	IF v_tok.used_at IS NOT NULL THEN
		UPDATE auth.sessions SET revoked_at = now(),
		    revoke_reason = 'refresh-token-reuse'
		WHERE id = v_s.id;
		PERFORM auth.audit(NULL, 'session.reuse_detected', v_s.account_id,
		    jsonb_build_object('session', v_s.id), p_request_id, p_client);
		RETURN auth.err('invalid-refresh-token');
	END IF;
	IF v_tok.expires_at < now() THEN
		RETURN auth.err('invalid-refresh-token');
	END IF;
	UPDATE auth.refresh_tokens SET used_at = now()
	    WHERE token_hash = p_hash;
	INSERT INTO auth.refresh_tokens (token_hash, session_id, expires_at)
	VALUES (p_new_hash, v_s.id,
	    least(v_s.expires_at, now() + make_interval(secs => p_refresh_ttl)));
	UPDATE auth.sessions SET last_used_at = now() WHERE id = v_s.id;
	RETURN auth.claims(v_s.account_id, v_s.id);
END $$;

CREATE FUNCTION auth.logout(p_account uuid, p_session uuid,
    p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE auth.sessions SET revoked_at = now(), revoke_reason = 'logout'
	WHERE id = p_session AND account_id = p_account AND revoked_at IS NULL;
	PERFORM auth.audit(p_account, 'logout', p_account,
	    jsonb_build_object('session', p_session), p_request_id, p_client);
	RETURN '{}'::jsonb;
END $$;

CREATE FUNCTION auth.sessions_of(p_account uuid, p_current uuid)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
	    'id', s.id, 'client', s.client, 'user_agent', s.user_agent,
	    'created_at', s.created_at, 'last_used_at', s.last_used_at,
	    'expires_at', s.expires_at, 'current', s.id = p_current)
	    ORDER BY s.created_at DESC), '[]'::jsonb))
	FROM auth.sessions s
	WHERE s.account_id = p_account AND s.revoked_at IS NULL
	    AND s.expires_at > now();
$$;

CREATE FUNCTION auth.session_revoke(p_account uuid, p_session uuid,
    p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE auth.sessions SET revoked_at = now(), revoke_reason = 'revoked'
	WHERE id = p_session AND account_id = p_account AND revoked_at IS NULL;
	IF NOT FOUND THEN
		RETURN auth.err('not-found');
	END IF;
	PERFORM auth.audit(p_account, 'session.revoked', p_account,
	    jsonb_build_object('session', p_session), p_request_id, p_client);
	RETURN '{}'::jsonb;
END $$;

-- The caller's identity and binding state; a revoked session is refused.
CREATE FUNCTION auth.me(p_account uuid, p_session uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN s.id IS NULL OR s.revoked_at IS NOT NULL
	    THEN auth.err('unauthorized') ELSE jsonb_build_object(
	    'id', a.id, 'account', a.login, 'kind', a.kind,
	    'family_name', a.family_name, 'given_name', a.given_name,
	    'chinese_name', a.chinese_name, 'school', a.school,
	    'degree', a.degree, 'cohort', a.cohort,
	    'roles', coalesce((SELECT jsonb_agg(r.role ORDER BY r.role)
		FROM auth.account_roles r WHERE r.account_id = a.id), '[]'),
	    'scopes', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'scope', sc.scope, 'value', sc.value) ORDER BY sc.scope, sc.value)
		FROM auth.staff_scopes sc WHERE sc.staff_id = a.id), '[]'),
	    'must_change_password', a.must_change_password,
	    'client', s.client,
	    'email', jsonb_build_object('address', a.email,
		'verified', a.email_verified_at IS NOT NULL),
	    'mobile', jsonb_build_object('number', a.mobile,
		'verified', a.mobile_verified_at IS NOT NULL),
	    'wechat', jsonb_build_object('bound', w.account_id IS NOT NULL,
		'bound_at', w.bound_at)) END
	FROM auth.accounts a
	LEFT JOIN auth.sessions s ON s.id = p_session AND s.account_id = a.id
	LEFT JOIN auth.wechat_bindings w ON w.account_id = a.id
	WHERE a.id = p_account;
$$;
