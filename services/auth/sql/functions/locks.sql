-- What staff see of failed logins and clear: accounts whose lanes are
-- locked or slowed down, and blocked client addresses (spraying).
CREATE OR REPLACE FUNCTION auth.locks_list() RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'accounts', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'account', a.login, 'lane', f.lane,
		'failures', f.failures, 'last_failure_at', f.last_failure_at,
		'locked_until', f.locked_until)
		ORDER BY f.last_failure_at DESC)
		-- Only accounts: a name that is none may be a password typed
		-- into the wrong field.
		FROM auth.login_failures f
		JOIN auth.accounts a ON lower(a.login) = f.login
		WHERE f.locked_until > now() OR f.last_failure_at >
		    now() - interval '1 hour'), '[]'),
	    'addresses', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'address', x.address, 'failures', x.failures,
		'accounts_tried', cardinality(x.logins),
		'window_start', x.window_start,
		'blocked_until', x.blocked_until)
		ORDER BY x.failures DESC)
		FROM auth.address_failures x
		WHERE x.blocked_until > now() OR x.window_start >
		    now() - interval '1 hour'), '[]'));
$$;

-- Clears an account's failures in every lane and its code tries of the
-- day (its live codes end: their tries no longer count), or an address's
-- block.
CREATE OR REPLACE FUNCTION auth.locks_clear(p_actor uuid, p_account text,
    p_address text, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_accounts	integer := 0;
	v_addresses	integer := 0;
	v_codes		integer := 0;
BEGIN
	IF p_account IS NOT NULL THEN
		DELETE FROM auth.login_failures WHERE login = lower(p_account);
		GET DIAGNOSTICS v_accounts = ROW_COUNT;
		UPDATE auth.verification_codes c SET attempts = 0,
		    consumed_at = coalesce(c.consumed_at, now())
		FROM auth.accounts a WHERE a.id = c.account_id
		    AND lower(a.login) = lower(p_account) AND c.attempts > 0
		    AND c.created_at > now() - interval '1 day';
		GET DIAGNOSTICS v_codes = ROW_COUNT;
	END IF;
	IF p_address IS NOT NULL THEN
		DELETE FROM auth.address_failures
		WHERE address = auth.address_key(p_address);
		GET DIAGNOSTICS v_addresses = ROW_COUNT;
	END IF;
	IF v_accounts + v_codes + v_addresses = 0 THEN
		RETURN auth.err('not-found', 'no failures recorded for it');
	END IF;
	PERFORM auth.audit(p_actor, 'login.lock_cleared', (SELECT id
	    FROM auth.accounts WHERE lower(login) = lower(p_account)),
	    jsonb_strip_nulls(jsonb_build_object('account', p_account,
	    'address', p_address)), p_request_id, p_client);
	RETURN jsonb_build_object('cleared_lanes', v_accounts,
	    'cleared_codes', v_codes, 'cleared_addresses', v_addresses);
END $$;
