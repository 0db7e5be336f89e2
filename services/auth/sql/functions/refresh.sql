-- Rotates a refresh token. Presenting an already-rotated token means it
-- was stolen or replayed: the whole session (token family) is revoked.
CREATE OR REPLACE FUNCTION auth.refresh(p_hash text, p_new_hash text,
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
	IF v_s.revoked_at IS NOT NULL OR v_s.expires_at < now() OR EXISTS (
	    SELECT 1 FROM auth.accounts WHERE id = v_s.account_id
	    AND disabled) THEN
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
