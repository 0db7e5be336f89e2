-- A session neither ended nor expired, of an account not disabled.
CREATE OR REPLACE FUNCTION auth.session_live(p_account uuid, p_session uuid)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT EXISTS (SELECT 1 FROM auth.sessions s
	    JOIN auth.accounts a ON a.id = s.account_id AND NOT a.disabled
	    WHERE s.id = p_session AND s.account_id = p_account
		AND s.revoked_at IS NULL AND s.expires_at > now());
$$;

-- What a route that changes the account's security asks first (the
-- endpoint's guard): is the caller's session live, and -- when
-- p_fresh_seconds > 0 -- did its holder prove their password that
-- recently? '{}' when so; else a refusal.
CREATE OR REPLACE FUNCTION auth.session_guard(p_account uuid, p_session uuid,
    p_fresh_seconds int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE
	    WHEN NOT auth.session_live(p_account, p_session)
		THEN auth.err('unauthorized')
	    WHEN p_fresh_seconds > 0 AND (s.reauth_at IS NULL OR s.reauth_at <
		now() - make_interval(secs => p_fresh_seconds))
		THEN auth.err('reauthentication-required')
	    ELSE '{}'::jsonb END
	FROM (SELECT 1) one
	LEFT JOIN auth.sessions s ON s.id = p_session AND s.account_id = p_account;
$$;

-- The holder of the session has just proved their password again.
CREATE OR REPLACE FUNCTION auth.session_reauth(p_account uuid,
    p_session uuid, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	IF auth.session_lane_locked(p_account) THEN
		RETURN auth.err('account-locked');
	END IF;
	UPDATE auth.sessions SET reauth_at = now()
	WHERE id = p_session AND auth.session_live(p_account, p_session);
	IF NOT FOUND THEN
		RETURN auth.err('unauthorized');
	END IF;
	PERFORM auth.audit(p_account, 'session.reauthenticated', p_account,
	    jsonb_build_object('session', p_session), p_request_id, p_client);
	RETURN jsonb_build_object('reauthenticated_at', now());
END $$;
