-- Logins, and what resists guessing them (schema 006): failures counted
-- per account in lanes and per client address; after p_slow failures in a
-- lane each next try must wait (1 s, 2 s, 4 s... up to a minute) before
-- the lane locks at p_max; a right password from a known device passes a
-- lock of the unknown lane. An address is blocked when it tries too many
-- distinct accounts (spraying), not for typos behind a campus NAT. The p_*
-- limits are the service's settings.

-- The key an address is counted under: IPv6 by its /64 (one host's
-- usual share), IPv4 as it is.
CREATE OR REPLACE FUNCTION auth.address_key(p_address text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	IF p_address LIKE '%:%' THEN
		RETURN network(set_masklen(p_address::inet, 64))::text;
	END IF;
	RETURN p_address;
EXCEPTION WHEN data_exception THEN
	RETURN p_address;
END $$;

-- Which lane a login is in: 'known' when the device token (its HMAC) is one
-- the account logged in from, else 'unknown'.
CREATE OR REPLACE FUNCTION auth.login_lane(p_account uuid, p_device_hash text)
RETURNS text LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN EXISTS (SELECT 1 FROM auth.known_devices
	    WHERE token_hash = p_device_hash AND account_id = p_account)
	    THEN 'known' ELSE 'unknown' END;
$$;

-- Seconds a lane must wait before its next try: locked, or slowed down
-- after p_slow failures; 0 when it may try now. "locked" says which.
CREATE OR REPLACE FUNCTION auth.lane_wait(p_login text, p_lane text,
    p_slow integer, p_base_seconds integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT CASE
	    WHEN f.locked_until > now() THEN jsonb_build_object('locked', true,
		'wait', ceil(extract(epoch FROM f.locked_until - now()))::int)
	    WHEN f.failures >= p_slow THEN jsonb_build_object('locked', false,
		'wait', greatest(0, ceil(extract(epoch FROM f.last_failure_at +
		make_interval(secs => least(60, p_base_seconds *
		power(2, f.failures - p_slow))) - now())))::int)
	    END
	    FROM auth.login_failures f
	    WHERE f.login = lower(p_login) AND f.lane = p_lane),
	    jsonb_build_object('locked', false, 'wait', 0));
$$;

-- Seconds an address is blocked for logins from unknown devices.
CREATE OR REPLACE FUNCTION auth.address_wait(p_address text) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT ceil(extract(epoch FROM blocked_until -
	    now()))::int FROM auth.address_failures
	    WHERE address = auth.address_key(p_address)
	    AND blocked_until > now()), 0);
$$;

-- First half of a login: the stored hash (NULL when unknown), the lane, and
-- whether it must wait ("wait" seconds; "locked" or slowed down, or the
-- address blocked).
CREATE OR REPLACE FUNCTION auth.login_lookup(p_login text, p_device_hash text,
    p_address text, p_slow integer, p_base_seconds integer) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_acc	auth.accounts;
	v_lane	text;
	v_wait	jsonb;
BEGIN
	SELECT * INTO v_acc FROM auth.accounts
	WHERE lower(login) = lower(p_login) AND NOT disabled;
	v_lane := auth.login_lane(v_acc.id, p_device_hash);
	v_wait := auth.lane_wait(p_login, v_lane, p_slow, p_base_seconds);
	IF v_lane = 'unknown' AND (v_wait->>'wait')::int = 0
	    AND auth.address_wait(p_address) > 0 THEN
		v_wait := jsonb_build_object('locked', false, 'wait',
		    auth.address_wait(p_address), 'address', true);
	END IF;
	RETURN jsonb_build_object('account_id', v_acc.id,
	    'hash', v_acc.password_hash, 'lane', v_lane) || v_wait;
END $$;

-- A failed try in a lane (and from an address): counted, locking the lane
-- at p_max within p_lock_seconds, and the address once it has tried
-- p_address_max distinct accounts within the same window. A known device's
-- typos do not count against its address.
CREATE OR REPLACE FUNCTION auth.login_failed(p_login text, p_account uuid,
    p_lane text, p_address text, p_max integer, p_lock_seconds integer,
    p_address_max integer, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_fail	auth.login_failures;
	v_addr	auth.address_failures;
	v_key	text := auth.address_key(p_address);
BEGIN
	INSERT INTO auth.login_failures AS f (login, lane, failures,
	    last_failure_at)
	VALUES (lower(p_login), p_lane, 1, now())
	ON CONFLICT (login, lane) DO UPDATE SET
	    failures = CASE WHEN f.last_failure_at <
		now() - make_interval(secs => p_lock_seconds)
		OR f.locked_until <= now() THEN 1 ELSE f.failures + 1 END,
	    last_failure_at = now(), locked_until = NULL
	RETURNING * INTO v_fail;
	IF v_fail.failures >= p_max THEN
		UPDATE auth.login_failures SET
		    locked_until = now() + make_interval(secs => p_lock_seconds)
		WHERE login = lower(p_login) AND lane = p_lane;
		PERFORM auth.audit(p_account, 'login.locked', p_account,
		    jsonb_build_object('login', p_login, 'lane', p_lane),
		    p_request_id, p_client);
	END IF;
	IF coalesce(p_address, '') <> '' AND p_lane = 'unknown' THEN
		INSERT INTO auth.address_failures AS a (address, failures,
		    logins)
		VALUES (v_key, 1, ARRAY[lower(p_login)])
		ON CONFLICT (address) DO UPDATE SET
		    failures = CASE WHEN a.window_start < now() -
			make_interval(secs => p_lock_seconds)
			THEN 1 ELSE a.failures + 1 END,
		    logins = CASE WHEN a.window_start < now() -
			make_interval(secs => p_lock_seconds)
			THEN ARRAY[lower(p_login)]
			WHEN lower(p_login) = ANY (a.logins)
			    OR cardinality(a.logins) >= 200 THEN a.logins
			ELSE a.logins || lower(p_login) END,
		    window_start = CASE WHEN a.window_start < now() -
			make_interval(secs => p_lock_seconds)
			THEN now() ELSE a.window_start END
		RETURNING * INTO v_addr;
		IF cardinality(v_addr.logins) >= p_address_max
		    AND (v_addr.blocked_until IS NULL
			OR v_addr.blocked_until < now()) THEN
			UPDATE auth.address_failures SET blocked_until = now() +
			    make_interval(secs => p_lock_seconds)
			WHERE address = v_key;
			-- Password spraying shows in the trail.
			PERFORM auth.audit(NULL, 'login.address_blocked', NULL,
			    jsonb_build_object('address', v_key,
			    'failures', v_addr.failures, 'accounts',
			    cardinality(v_addr.logins)), p_request_id, p_client);
		END IF;
	END IF;
	PERFORM auth.audit(p_account, 'login.failed', p_account,
	    jsonb_build_object('login', p_login, 'lane', p_lane, 'address',
	    p_address), p_request_id, p_client);
	RETURN auth.err('invalid-credentials');
END $$;

-- Second half: a failure is counted (auth.login_failed); a success clears
-- its lane, remembers the device (p_device_hash when it was known, else
-- p_new_device_hash: "device_token_issued") and opens a session.
CREATE OR REPLACE FUNCTION auth.login_finish(p_login text, p_account uuid,
    p_ok boolean, p_refresh_hash text, p_client text, p_user_agent text,
    p_lane text, p_address text, p_device_hash text, p_new_device_hash text,
    p_limits integer[], p_refresh_ttl integer, p_request_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	-- p_limits: max failures, lock seconds, slow-down after, its base
	-- seconds, address max.
	v_wait	jsonb := auth.lane_wait(p_login, p_lane, p_limits[3],
		    p_limits[4]);
	v_doc	jsonb;
BEGIN
	-- Raced by other tries since the lookup: the same answer as it.
	IF (v_wait->>'wait')::int > 0 OR (p_lane = 'unknown'
	    AND auth.address_wait(p_address) > 0) THEN
		RETURN CASE WHEN (v_wait->>'locked')::boolean
		    THEN auth.err('account-locked')
		    ELSE auth.err('login-slow-down') END;
	END IF;
	IF NOT p_ok OR p_account IS NULL THEN
		RETURN auth.login_failed(p_login, p_account, p_lane, p_address,
		    p_limits[1], p_limits[2], p_limits[5], p_request_id,
		    p_client);
	END IF;
	-- The initial password is a policy with an end, and never a staff
	-- member's: past it, only an activation opens the account.
	IF EXISTS (SELECT 1 FROM auth.accounts WHERE id = p_account
	    AND must_change_password AND (kind = 'staff'
	    OR initial_password_expires_at < now())) THEN
		PERFORM auth.audit(p_account, 'login.initial_expired',
		    p_account, '{}', p_request_id, p_client);
		RETURN auth.err('activation-required');
	END IF;
	DELETE FROM auth.login_failures
	WHERE login = lower(p_login) AND lane = p_lane;
	IF p_lane = 'known' THEN
		UPDATE auth.known_devices SET last_used_at = now()
		WHERE token_hash = p_device_hash;
	ELSIF p_new_device_hash IS NOT NULL THEN
		INSERT INTO auth.known_devices (token_hash, account_id,
		    user_agent)
		VALUES (p_new_device_hash, p_account, left(p_user_agent, 512));
		-- The ten most recent devices are remembered.
		DELETE FROM auth.known_devices WHERE account_id = p_account
		    AND token_hash NOT IN (SELECT token_hash
			FROM auth.known_devices WHERE account_id = p_account
			ORDER BY last_used_at DESC LIMIT 10);
	END IF;
	v_doc := auth.open_session(p_account, p_client, p_user_agent, NULL,
	    p_refresh_hash, p_refresh_ttl, 'login', p_request_id);
	RETURN v_doc || jsonb_build_object('device_token_issued',
	    p_lane <> 'known' AND p_new_device_hash IS NOT NULL);
END $$;
