-- A binding ticket (p_account set, asked from session p_session: it binds
-- only while that session lives) or a login ticket. Binding over an
-- existing binding needs p_confirm_rebind: the old one is deleted when the
-- new WeChat scans.
CREATE OR REPLACE FUNCTION auth.wechat_ticket_create(p_kind text, p_scene_hash text,
    p_account uuid, p_ttl integer, p_confirm_rebind boolean,
    p_request_id text, p_client text, p_session uuid) RETURNS jsonb
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
	    expires_at, session_id)
	VALUES (p_scene_hash, p_kind, p_account,
	    now() + make_interval(secs => p_ttl), p_session);
	IF p_kind = 'bind' THEN
		PERFORM auth.audit(p_account, 'wechat.bind_ticket', p_account,
		    jsonb_build_object('rebind', p_confirm_rebind), p_request_id,
		    p_client);
	END IF;
	RETURN jsonb_build_object('expires_in', p_ttl);
END $$;

-- WeChat's server reports that p_openid scanned the QR of a scene.
CREATE OR REPLACE FUNCTION auth.wechat_scan(p_scene_hash text, p_openid text,
    p_request_id text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_t	auth.wechat_tickets;
	v_old	text;
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
	WHERE openid = p_openid;
	IF v_t.kind = 'login' THEN
		UPDATE auth.wechat_tickets SET scanned_openid = p_openid,
		    scanned_at = now(), account_id = v_owner,
		    state = CASE WHEN v_owner IS NULL THEN 'unbound-scan'
			ELSE 'scanned' END
		WHERE scene_hash = p_scene_hash;
		RETURN jsonb_build_object('result', CASE WHEN v_owner IS NULL
		    THEN 'unbound' ELSE 'login' END);
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
	SELECT openid INTO v_old FROM auth.wechat_bindings
	WHERE account_id = v_t.account_id FOR UPDATE;
	DELETE FROM auth.wechat_bindings WHERE account_id = v_t.account_id;
	INSERT INTO auth.wechat_bindings (account_id, openid)
	VALUES (v_t.account_id, p_openid);
	UPDATE auth.wechat_tickets SET state = 'bound', scanned_openid = p_openid,
	    scanned_at = now()
	WHERE scene_hash = p_scene_hash;
	-- A new way to log in: the account's verified channels are told.
	IF v_old IS DISTINCT FROM p_openid THEN
		PERFORM auth.tell_change(a, 'WeChat binding', NULL,
		    p_request_id)
		FROM auth.accounts a WHERE a.id = v_t.account_id;
	END IF;
	PERFORM auth.audit(v_t.account_id, CASE WHEN v_old IS NULL
	    THEN 'wechat.bound' ELSE 'wechat.rebound' END, v_t.account_id,
	    jsonb_strip_nulls(jsonb_build_object('replaced', v_old IS NOT NULL
	    AND v_old <> p_openid)), p_request_id, 'wechat');
	RETURN jsonb_build_object('result', 'bound');
END $$;

-- The web page polls its login ticket; a scan by a bound WeChat turns it
-- into a session exactly once.
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
	IF v_t.state = 'consumed' OR v_t.expires_at < now() THEN
		RETURN auth.err('ticket-expired');
	END IF;
	IF v_t.state = 'pending' THEN
		RETURN jsonb_build_object('status', 'pending');
	END IF;
	UPDATE auth.wechat_tickets SET state = 'consumed'
	WHERE scene_hash = p_scene_hash;
	RETURN auth.open_session(v_t.account_id, 'web', p_user_agent,
	    v_t.scanned_openid, p_refresh_hash, p_refresh_ttl, 'login.wechat',
	    p_request_id);
END $$;
