-- Issues a code for an authenticated binding (p_account set) or for a
-- recovery (p_login set; destination is the verified address on file and
-- unknown accounts are silently ignored). The message text, with the code,
-- goes to the outbox marked sensitive. A binding code binds only while
-- p_session, the session it was asked from, lives. One address or number
-- gets at most p_per_recipient binding codes a day, whichever account asks
-- (no flooding a victim by binding their number from many accounts), and
-- as many recovery codes per requesting client address (p_requester): a
-- stranger asking recoveries does not use up the owner's own.
CREATE OR REPLACE FUNCTION auth.code_issue(p_account uuid, p_login text, p_purpose text,
    p_target text, p_hash text, p_ttl integer, p_cooldown integer,
    p_max_attempts integer, p_subject text, p_body text,
    p_request_id text, p_client text, p_session uuid,
    p_per_recipient integer, p_requester text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_acc		auth.accounts;
	v_target	text := p_target;
	v_last		timestamptz;
	v_channel	text;
BEGIN
	IF p_account IS NOT NULL THEN
		SELECT * INTO v_acc FROM auth.accounts WHERE id = p_account
		    FOR UPDATE;
	ELSE
		SELECT * INTO v_acc FROM auth.accounts
		WHERE lower(login) = lower(p_login) AND NOT disabled FOR UPDATE;
	END IF;
	IF NOT FOUND THEN
		RETURN CASE WHEN p_account IS NULL THEN '{}'::jsonb
		    ELSE auth.err('not-found') END;
	END IF;
	IF p_purpose = 'recover-email' THEN
		v_target := CASE WHEN v_acc.email_verified_at IS NOT NULL
		    THEN v_acc.email END;
	ELSIF p_purpose = 'recover-mobile' THEN
		v_target := CASE WHEN v_acc.mobile_verified_at IS NOT NULL
		    THEN v_acc.mobile END;
	ELSIF p_purpose = 'bind-email' AND EXISTS (SELECT 1 FROM auth.accounts
	    WHERE lower(email) = lower(p_target) AND id <> v_acc.id
	    AND email_verified_at IS NOT NULL) THEN
		RETURN auth.err('already-bound', 'this email is bound to another account');
	ELSIF p_purpose = 'bind-mobile' AND EXISTS (SELECT 1 FROM auth.accounts
	    WHERE mobile = p_target AND id <> v_acc.id
	    AND mobile_verified_at IS NOT NULL) THEN
		RETURN auth.err('already-bound', 'this number is bound to another account');
	END IF;
	IF v_target IS NULL THEN
		RETURN '{}'::jsonb;
	END IF;
	SELECT max(created_at) INTO v_last FROM auth.verification_codes
	WHERE account_id = v_acc.id AND purpose = p_purpose;
	IF v_last > now() - make_interval(secs => p_cooldown) THEN
		RETURN CASE WHEN p_account IS NULL THEN '{}'::jsonb ELSE
		    jsonb_build_object('error', 'resend-too-soon', 'retry_after',
		    ceil(extract(epoch FROM v_last +
		    make_interval(secs => p_cooldown) - now()))) END;
	END IF;
	IF (SELECT count(*) FROM auth.verification_codes
	    WHERE lower(target) = lower(v_target)
	    AND created_at > now() - interval '1 day'
	    AND (purpose LIKE 'bind-%') = (p_purpose LIKE 'bind-%')
	    AND (p_purpose LIKE 'bind-%' OR requester IS NOT DISTINCT FROM
		p_requester)) >= p_per_recipient THEN
		PERFORM auth.audit(coalesce(p_account, v_acc.id),
		    'code.recipient_capped', v_acc.id, jsonb_build_object(
		    'purpose', p_purpose), p_request_id, p_client);
		RETURN CASE WHEN p_account IS NULL THEN '{}'::jsonb
		    ELSE auth.err('recipient-limit') END;
	END IF;
	-- A new code replaces any earlier one for the same purpose.
	UPDATE auth.verification_codes SET consumed_at = now()
	WHERE account_id = v_acc.id AND purpose = p_purpose
	    AND consumed_at IS NULL;
	INSERT INTO auth.verification_codes (account_id, purpose, target,
	    code_hash, max_attempts, expires_at, session_id, requester)
	VALUES (v_acc.id, p_purpose, v_target, p_hash, p_max_attempts,
	    now() + make_interval(secs => p_ttl), p_session,
	    left(p_requester, 64));
	v_channel := CASE WHEN p_purpose LIKE '%email' THEN 'email'
	    ELSE 'sms' END;
	PERFORM messaging.enqueue(v_channel, v_target, p_subject, p_body,
	    v_acc.id, true, p_request_id);
	PERFORM auth.audit(coalesce(p_account, v_acc.id), 'code.sent', v_acc.id,
	    jsonb_build_object('purpose', p_purpose, 'channel', v_channel),
	    p_request_id, p_client);
	RETURN jsonb_build_object('sent_to', CASE WHEN p_account IS NULL THEN NULL
	    ELSE v_target END, 'expires_in', p_ttl);
END $$;

-- Takes one attempt at the live code: returns its hash for the caller to
-- compare in constant time. The attempt counts even if the caller dies.
-- Attempts are also capped per account and purpose over 24 h across codes:
-- asking for a new code every minute does not buy new guesses (and wrong
-- recovery guesses do not block the owner's own bindings).
CREATE OR REPLACE FUNCTION auth.code_attempt(p_login text, p_purpose text,
    p_daily_max integer)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_code	auth.verification_codes;
BEGIN
	SELECT c.* INTO v_code FROM auth.verification_codes c
	JOIN auth.accounts a ON a.id = c.account_id
	WHERE lower(a.login) = lower(p_login) AND c.purpose = p_purpose
	    AND c.consumed_at IS NULL AND c.expires_at > now()
	ORDER BY c.created_at DESC LIMIT 1 FOR UPDATE OF c;
	IF NOT FOUND OR v_code.attempts >= v_code.max_attempts
	    OR (SELECT sum(attempts) FROM auth.verification_codes
		WHERE account_id = v_code.account_id AND purpose = p_purpose
		AND created_at > now() - interval '1 day') >= p_daily_max THEN
		RETURN auth.err('code-invalid');
	END IF;
	UPDATE auth.verification_codes SET attempts = attempts + 1
	WHERE id = v_code.id;
	RETURN jsonb_build_object('id', v_code.id, 'hash', v_code.code_hash);
END $$;

-- Applies a verified code: binds the address, or sets the new password and
-- ends every session (recovery).
CREATE OR REPLACE FUNCTION auth.code_consume(p_code uuid, p_new_hash text,
    p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_code		auth.verification_codes;
	v_before	auth.accounts;
BEGIN
	UPDATE auth.verification_codes SET consumed_at = now()
	WHERE id = p_code AND consumed_at IS NULL AND expires_at > now()
	RETURNING * INTO v_code;
	IF NOT FOUND OR (v_code.session_id IS NOT NULL AND
	    NOT auth.session_live(v_code.account_id, v_code.session_id)) THEN
		RETURN auth.err('code-invalid');
	END IF;
	SELECT * INTO v_before FROM auth.accounts WHERE id = v_code.account_id
	FOR UPDATE;
	IF v_code.purpose = 'bind-email' THEN
		IF EXISTS (SELECT 1 FROM auth.accounts WHERE
		    lower(email) = lower(v_code.target)
		    AND id <> v_code.account_id AND email_verified_at IS NOT NULL) THEN
			RETURN auth.err('already-bound');
		END IF;
		UPDATE auth.accounts SET email = v_code.target,
		    email_verified_at = now(), updated_at = now()
		WHERE id = v_code.account_id;
		-- Every channel verified until now is told (a takeover
		-- would be seen).
		IF v_before.email IS DISTINCT FROM v_code.target
		    OR v_before.email_verified_at IS NULL THEN
			PERFORM auth.tell_change(v_before, 'email',
			    v_code.target, p_request_id);
		END IF;
	ELSIF v_code.purpose = 'bind-mobile' THEN
		IF EXISTS (SELECT 1 FROM auth.accounts WHERE mobile = v_code.target
		    AND id <> v_code.account_id AND mobile_verified_at IS NOT NULL) THEN
			RETURN auth.err('already-bound');
		END IF;
		UPDATE auth.accounts SET mobile = v_code.target,
		    mobile_verified_at = now(), updated_at = now()
		WHERE id = v_code.account_id;
		IF v_before.mobile IS DISTINCT FROM v_code.target
		    OR v_before.mobile_verified_at IS NULL THEN
			PERFORM auth.tell_change(v_before, 'mobile number',
			    v_code.target, p_request_id);
		END IF;
	ELSE
		IF p_new_hash IS NULL THEN
			RETURN auth.err('validation');
		END IF;
		UPDATE auth.accounts SET password_hash = p_new_hash,
		    must_change_password = false, updated_at = now()
		WHERE id = v_code.account_id;
		UPDATE auth.sessions SET revoked_at = now(),
		    revoke_reason = 'password-recovered'
		WHERE account_id = v_code.account_id AND revoked_at IS NULL;
		DELETE FROM auth.login_failures
		WHERE login = (SELECT lower(login) FROM auth.accounts
		    WHERE id = v_code.account_id);
		-- A recovered account needs no pending activation any more.
		DELETE FROM auth.activations
		WHERE account_id = v_code.account_id;
	END IF;
	PERFORM auth.audit(v_code.account_id, replace(v_code.purpose, '-', '.'),
	    v_code.account_id, jsonb_build_object('target', v_code.target),
	    p_request_id, p_client);
	RETURN jsonb_build_object('purpose', v_code.purpose,
	    'target', v_code.target);
END $$;
