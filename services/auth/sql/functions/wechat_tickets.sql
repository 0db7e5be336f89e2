-- A binding ticket (p_account set, asked from session p_session: it binds
-- only while that session lives) or a login ticket (p_agent and p_address:
-- the browser that asked, shown on the phone for confirmation). Binding
-- over an existing binding needs p_confirm_rebind: the old one is deleted
-- when the new WeChat scans.
CREATE OR REPLACE FUNCTION auth.wechat_ticket_create(p_kind text, p_scene_hash text,
    p_account uuid, p_ttl integer, p_confirm_rebind boolean,
    p_request_id text, p_client text, p_session uuid, p_agent text,
    p_address text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	IF p_kind = 'bind' AND NOT p_confirm_rebind AND EXISTS (
	    SELECT 1 FROM auth.wechat_bindings WHERE account_id = p_account) THEN
		RETURN auth.err('rebind-confirmation-required');
	END IF;
	-- One live binding ticket per account: a refresh replaces it.
	IF p_kind = 'bind' THEN
		UPDATE auth.wechat_tickets SET state = 'consumed'
		WHERE account_id = p_account AND kind = 'bind'
		    AND state = 'pending';
	END IF;
	INSERT INTO auth.wechat_tickets (scene_hash, kind, account_id,
	    expires_at, session_id, requester_agent, requester_address)
	VALUES (p_scene_hash, p_kind, p_account,
	    now() + make_interval(secs => p_ttl), p_session,
	    left(p_agent, 512), left(p_address, 64));
	IF p_kind = 'bind' THEN
		PERFORM auth.audit(p_account, 'wechat.bind_ticket', p_account,
		    jsonb_build_object('rebind', p_confirm_rebind), p_request_id,
		    p_client);
	END IF;
	RETURN jsonb_build_object('expires_in', p_ttl);
END $$;

-- WeChat's server reports that p_openid (the official account's openid;
-- p_unionid from user/info, NULL when WeChat gave none) scanned the QR of a
-- scene. A login scan by a bound WeChat waits for the confirmation on the
-- phone (auth.wechat_login_decide).
CREATE OR REPLACE FUNCTION auth.wechat_scan(p_scene_hash text, p_openid text,
    p_unionid text, p_request_id text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_t	auth.wechat_tickets;
	v_old	auth.wechat_bindings;
	v_owner	uuid;
BEGIN
	SELECT * INTO v_t FROM auth.wechat_tickets
	WHERE scene_hash = p_scene_hash FOR UPDATE;
	IF NOT FOUND THEN
		RETURN jsonb_build_object('result', 'unknown');
	END IF;
	IF v_t.state <> 'pending' OR v_t.expires_at < now() OR (v_t.kind =
	    'bind' AND v_t.session_id IS NOT NULL AND
	    NOT auth.session_live(v_t.account_id, v_t.session_id)) THEN
		RETURN jsonb_build_object('result', 'expired');
	END IF;
	SELECT account_id INTO v_owner FROM auth.wechat_bindings
	WHERE openid = p_openid OR unionid = p_unionid LIMIT 1;
	IF v_t.kind = 'login' THEN
		UPDATE auth.wechat_tickets SET scanned_openid = p_openid,
		    scanned_at = now(), account_id = v_owner,
		    state = CASE WHEN v_owner IS NULL THEN 'unbound-scan'
			ELSE 'needs-confirmation' END
		WHERE scene_hash = p_scene_hash;
		RETURN jsonb_build_object('result', CASE WHEN v_owner IS NULL
		    THEN 'unbound' ELSE 'confirm' END);
	END IF;
	IF v_owner IS NOT NULL AND v_owner <> v_t.account_id THEN
		UPDATE auth.wechat_tickets SET state = 'consumed',
		    scanned_openid = p_openid, scanned_at = now()
		WHERE scene_hash = p_scene_hash;
		PERFORM auth.audit(NULL, 'wechat.bind_refused', v_t.account_id,
		    jsonb_build_object('reason', 'bound to another account'),
		    p_request_id, 'wechat');
		RETURN jsonb_build_object('result', 'already-bound');
	END IF;
	SELECT * INTO v_old FROM auth.wechat_bindings
	WHERE account_id = v_t.account_id FOR UPDATE;
	DELETE FROM auth.wechat_bindings WHERE account_id = v_t.account_id;
	-- The same WeChat scanning again keeps its mini-program openid.
	INSERT INTO auth.wechat_bindings (account_id, openid, unionid,
	    mp_openid)
	VALUES (v_t.account_id, p_openid, coalesce(p_unionid, CASE WHEN
	    v_old.openid = p_openid THEN v_old.unionid END), CASE WHEN
	    v_old.openid = p_openid THEN v_old.mp_openid END);
	UPDATE auth.wechat_tickets SET state = 'bound', scanned_openid = p_openid,
	    scanned_at = now()
	WHERE scene_hash = p_scene_hash;
	-- A new way to log in: the account's verified channels are told.
	IF v_old.openid IS DISTINCT FROM p_openid THEN
		PERFORM auth.tell_change(a, 'WeChat binding', NULL,
		    p_request_id)
		FROM auth.accounts a WHERE a.id = v_t.account_id;
	END IF;
	PERFORM auth.audit(v_t.account_id, CASE WHEN v_old.openid IS NULL
	    THEN 'wechat.bound' ELSE 'wechat.rebound' END, v_t.account_id,
	    jsonb_strip_nulls(jsonb_build_object('replaced', v_old.openid
	    IS NOT NULL AND v_old.openid <> p_openid, 'unionid',
	    p_unionid IS NOT NULL)), p_request_id, 'wechat');
	RETURN jsonb_build_object('result', 'bound');
END $$;

-- The web page polls its login ticket; a scan by a bound WeChat, confirmed
-- on the phone, turns it into a session exactly once.
CREATE OR REPLACE FUNCTION auth.wechat_login_poll(p_scene_hash text, p_refresh_hash text,
    p_user_agent text, p_refresh_ttl integer, p_request_id text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_t	auth.wechat_tickets;
BEGIN
	SELECT * INTO v_t FROM auth.wechat_tickets
	WHERE scene_hash = p_scene_hash AND kind = 'login' FOR UPDATE;
	IF NOT FOUND THEN
		RETURN auth.err('not-found');
	END IF;
	IF v_t.state = 'unbound-scan' THEN
		RETURN auth.err('wechat-not-bound');
	END IF;
	IF v_t.state = 'refused' THEN
		RETURN auth.err('login-refused');
	END IF;
	IF v_t.state = 'consumed' OR v_t.expires_at < now() THEN
		RETURN auth.err('ticket-expired');
	END IF;
	IF v_t.state IN ('pending', 'needs-confirmation') THEN
		RETURN jsonb_build_object('status', CASE WHEN v_t.state =
		    'pending' THEN 'pending' ELSE 'awaiting-confirmation' END);
	END IF;
	UPDATE auth.wechat_tickets SET state = 'consumed'
	WHERE scene_hash = p_scene_hash;
	RETURN auth.open_session(v_t.account_id, 'web', p_user_agent,
	    v_t.scanned_openid, p_refresh_hash, p_refresh_ttl, 'login.wechat',
	    p_request_id);
END $$;

-- What the phone shows before a web login by scan: the browser that asked,
-- from which address, when. Only the account's own, live requests.
CREATE OR REPLACE FUNCTION auth.wechat_login_requests(p_account uuid)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('items', coalesce(jsonb_agg(jsonb_build_object(
	    'id', t.confirm_id, 'browser', t.requester_agent,
	    'address', t.requester_address, 'requested_at', t.created_at,
	    'scanned_at', t.scanned_at, 'expires_at', t.expires_at)
	    ORDER BY t.scanned_at DESC), '[]'))
	FROM auth.wechat_tickets t
	WHERE t.account_id = p_account AND t.kind = 'login'
	    AND t.state = 'needs-confirmation' AND t.expires_at > now();
$$;

-- The account's holder confirms (or refuses) a web login by scan from the
-- mini-program; only then can the browser's poll open a session.
CREATE OR REPLACE FUNCTION auth.wechat_login_decide(p_account uuid,
    p_confirm_id uuid, p_approve boolean, p_request_id text, p_client text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_t	auth.wechat_tickets;
BEGIN
	SELECT * INTO v_t FROM auth.wechat_tickets
	WHERE confirm_id = p_confirm_id AND account_id = p_account
	    AND kind = 'login' FOR UPDATE;
	IF NOT FOUND OR v_t.state NOT IN ('needs-confirmation') THEN
		RETURN auth.err('not-found');
	END IF;
	IF v_t.expires_at < now() THEN
		RETURN auth.err('ticket-expired');
	END IF;
	UPDATE auth.wechat_tickets SET decided_at = now(),
	    state = CASE WHEN p_approve THEN 'scanned' ELSE 'refused' END
	WHERE scene_hash = v_t.scene_hash;
	PERFORM auth.audit(p_account, CASE WHEN p_approve
	    THEN 'wechat.login_confirmed' ELSE 'wechat.login_refused' END,
	    p_account, jsonb_build_object('browser', v_t.requester_agent,
	    'address', v_t.requester_address), p_request_id, p_client);
	RETURN jsonb_build_object('status', CASE WHEN p_approve
	    THEN 'confirmed' ELSE 'refused' END);
END $$;
