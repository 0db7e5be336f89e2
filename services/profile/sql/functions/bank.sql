-- Bank cards: the holder name must be the passport's full name exactly,
-- the holder's passport number the student's own. A new or changed card
-- is a request for finance, who approve or reject it with a reason; only
-- the approved card is the stipend's (profile.stipend_card).

-- Why two names differ, for the student: capitalisation, order, spelling.
CREATE OR REPLACE FUNCTION profile.name_difference(p_given text, p_expected text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
	    WHEN p_given = p_expected THEN NULL
	    WHEN lower(p_given) = lower(p_expected) THEN 'capitalisation'
	    WHEN (SELECT array_agg(w ORDER BY w) FROM regexp_split_to_table(
		p_given, '\s+') w) = (SELECT array_agg(w ORDER BY w)
		FROM regexp_split_to_table(p_expected, '\s+') w)
		THEN 'order of the names'
	    WHEN regexp_replace(p_given, '\s+', ' ', 'g')
		= regexp_replace(p_expected, '\s+', ' ', 'g') THEN 'spacing'
	    ELSE 'spelling' END;
$$;

-- NULL when the card's holder matches the student's passport, else the
-- refusal.
CREATE OR REPLACE FUNCTION profile.holder_refusal(p_student uuid, p_card jsonb)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	v_passport	jsonb;
	v_diff		text;
	v_msg		text;
BEGIN
	SELECT data INTO v_passport FROM profile.sections
	WHERE student_id = p_student AND section = 'passport' AND version > 0;
	IF v_passport IS NULL THEN
		RETURN profile.err('passport-required', 'Fill in your passport '
		    'first: the account holder name must be its full name.');
	END IF;
	v_diff := profile.name_difference(p_card->>'holder_name',
	    v_passport->>'full_name');
	IF v_diff IS NOT NULL THEN
		v_msg := format('must be exactly "%s", the full name in your '
		    'passport (same order, same capitals); the %s differs',
		    v_passport->>'full_name', v_diff);
		RETURN profile.err('holder-name-mismatch', 'The account holder '
		    'name ' || v_msg, jsonb_build_array(profile.field_error(
		    'holder_name', v_msg, format('必须与护照姓名 "%s" 完全一致'
		    '（顺序和大小写相同）', v_passport->>'full_name'))));
	END IF;
	IF p_card->>'holder_passport_number_lookup'
	    IS DISTINCT FROM v_passport->>'number_lookup' THEN
		RETURN profile.field_err('holder_passport_number', 'must be the '
		    'number of your current passport', '必须是您当前护照的号码');
	END IF;
	RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION profile.put_bank_card(p_caller uuid,
    p_if_match integer, p_card jsonb, p_request_id text, p_client text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_sec		profile.sections;
	v_refusal	jsonb;
BEGIN
	v_refusal := profile.holder_refusal(p_caller, p_card);
	IF v_refusal IS NOT NULL THEN
		RETURN v_refusal;
	END IF;
	v_sec := profile.lock_section(p_caller, 'bank-card');
	IF v_sec.version <> p_if_match THEN
		RETURN profile.stale(v_sec.version);
	END IF;
	UPDATE profile.bank_reviews SET state = 'superseded', decided_at = now()
	WHERE student_id = p_caller AND state = 'pending';
	INSERT INTO profile.bank_reviews (student_id, old_card, new_card)
	VALUES (p_caller, nullif(v_sec.data, '{}'), p_card);
	PERFORM profile.audit_changes(p_caller, p_caller, 'bank-card',
	    nullif(v_sec.data, '{}'), p_card, p_request_id, p_client);
	UPDATE profile.sections SET version = version + 1, updated_at = now(),
	    updated_by = p_caller
	WHERE student_id = p_caller AND section = 'bank-card';
	RETURN profile.section_json(p_caller, 'bank-card', true);
END $$;

-- Finance's queue: requests by state, oldest first, values masked.
CREATE OR REPLACE FUNCTION profile.bank_reviews(p_caller uuid, p_state text,
    p_limit integer, p_offset integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH v AS (
		SELECT r.* FROM profile.bank_reviews r
		WHERE r.state = coalesce(p_state, 'pending')
		    AND r.student_id IN (SELECT s.student_id
			FROM auth.visible_students(p_caller) s)
	)
	SELECT jsonb_build_object('total', (SELECT count(*) FROM v),
	    'items', coalesce((SELECT jsonb_agg(x.j ORDER BY x.submitted_at,
		x.id) FROM (SELECT v.submitted_at, v.id,
		profile.review_json(v, false) || jsonb_build_object('student',
		(SELECT jsonb_build_object('id', b.id, 'student_id', b.login,
		    'name', b.given_name || ' ' || b.family_name,
		    'school', b.school)
		 FROM auth.students_brief(ARRAY[v.student_id]) b)) AS j
		FROM v ORDER BY v.submitted_at, v.id
		LIMIT p_limit OFFSET p_offset) x), '[]'));
$$;

-- One request with the whole numbers, to check against the card's photo:
-- audited.
CREATE OR REPLACE FUNCTION profile.bank_review(p_caller uuid, p_id uuid,
    p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r	profile.bank_reviews;
BEGIN
	SELECT * INTO r FROM profile.bank_reviews WHERE id = p_id;
	IF r.id IS NULL OR NOT auth.can_read_student(p_caller, r.student_id) THEN
		RETURN profile.err('not-found');
	END IF;
	PERFORM profile.audit(p_caller, 'read-whole', r.student_id, 'bank-card',
	    NULL, NULL, NULL, jsonb_build_object('review', r.id), p_request_id,
	    p_client);
	RETURN profile.review_json(r, true, true) || jsonb_build_object(
	    'student', (SELECT jsonb_build_object('id', b.id,
		'student_id', b.login,
		'name', b.given_name || ' ' || b.family_name,
		'school', b.school)
		FROM auth.students_brief(ARRAY[r.student_id]) b),
	    'passport_full_name', (SELECT s.data->>'full_name'
		FROM profile.sections s WHERE s.student_id = r.student_id
		AND s.section = 'passport'));
END $$;

-- Finance decides: an approved card becomes the stipend's; a rejection
-- says why. Either way the student is told.
CREATE OR REPLACE FUNCTION profile.bank_decide(p_caller uuid, p_id uuid,
    p_decision text, p_reason text, p_request_id text, p_client text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	r		profile.bank_reviews;
	v_refusal	jsonb;
BEGIN
	SELECT * INTO r FROM profile.bank_reviews WHERE id = p_id;
	IF r.id IS NULL OR NOT auth.can_read_student(p_caller, r.student_id) THEN
		RETURN profile.err('not-found');
	END IF;
	-- The section first, then the request: the order a student's
	-- submission takes them in, so the two never wait on each other.
	PERFORM profile.lock_section(r.student_id, 'bank-card');
	SELECT * INTO r FROM profile.bank_reviews WHERE id = p_id FOR UPDATE;
	IF r.state <> 'pending' THEN
		RETURN profile.err('conflict', format('This request is already '
		    '%s.', r.state));
	END IF;
	IF p_decision = 'reject' AND coalesce(btrim(p_reason), '') = '' THEN
		RETURN profile.field_err('reason', 'say why the card is '
		    'rejected: the student reads it', '请填写驳回原因，学生可见');
	END IF;
	IF p_decision = 'approve' THEN
		-- The passport may have changed since the request.
		v_refusal := profile.holder_refusal(r.student_id, r.new_card);
		IF v_refusal IS NOT NULL THEN
			RETURN profile.err('holder-name-mismatch', 'The holder '
			    'no longer matches the student''s passport: reject '
			    'the request.');
		END IF;
		UPDATE profile.sections SET data = r.new_card,
		    version = version + 1, updated_at = now(),
		    updated_by = p_caller
		WHERE student_id = r.student_id AND section = 'bank-card';
	ELSE
		UPDATE profile.sections SET version = version + 1,
		    updated_at = now(), updated_by = p_caller
		WHERE student_id = r.student_id AND section = 'bank-card';
	END IF;
	UPDATE profile.bank_reviews SET state = CASE p_decision
	    WHEN 'approve' THEN 'approved' ELSE 'rejected' END,
	    decided_by = p_caller, decided_at = now(),
	    reason = nullif(btrim(p_reason), '')
	WHERE id = p_id RETURNING * INTO r;
	PERFORM profile.audit(p_caller, 'review', r.student_id, 'bank-card',
	    'state', 'pending', r.state, jsonb_build_object('review', r.id,
	    'reason', r.reason), p_request_id, p_client);
	PERFORM messaging.post_inbox(r.student_id, 'profile.bank-card-' ||
	    r.state, CASE r.state WHEN 'approved' THEN
	    'Bank card approved / 银行卡已审核通过' ELSE
	    'Bank card rejected / 银行卡未通过审核' END,
	    CASE r.state WHEN 'approved' THEN 'Finance approved your bank card '
	    || (r.new_card->>'account_number_masked') || ': stipends are paid '
	    'to it.' || E'\n\n' || '财务处已审核通过您的银行卡 ' ||
	    (r.new_card->>'account_number_masked') || '，奖助学金将发放至该卡。'
	    ELSE 'Finance rejected your bank card ' ||
	    (r.new_card->>'account_number_masked') || ': ' || r.reason ||
	    E'\nCorrect it and submit it again.\n\n' || '财务处未通过您的银行卡 '
	    || (r.new_card->>'account_number_masked') || '：' || r.reason ||
	    E'\n请修改后重新提交。' END,
	    jsonb_build_object('review', r.id), p_caller);
	RETURN profile.review_json(r, false) || jsonb_build_object(
	    'student_id', r.student_id);
END $$;

-- A saved passport whose full name is no longer the approved card's
-- holder: the stipend would go to a card in another name. The student is
-- told to submit the card again (the approved one stays until then).
CREATE OR REPLACE FUNCTION profile.card_holder_changed(p_student uuid,
    p_passport jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_card	jsonb;
BEGIN
	SELECT data INTO v_card FROM profile.sections
	WHERE student_id = p_student AND section = 'bank-card'
	    AND data <> '{}';
	IF v_card IS NULL OR v_card->>'holder_name' = p_passport->>'full_name'
	THEN
		RETURN;
	END IF;
	PERFORM messaging.post_inbox(p_student, 'profile.bank-card-holder',
	    'Submit your bank card again / 请重新提交银行卡',
	    format('Your passport name is now "%s", but your bank card '
	    '%s is in the name "%s". Stipends can only be paid to an account '
	    'in your passport name: submit the card again.',
	    p_passport->>'full_name', v_card->>'account_number_masked',
	    v_card->>'holder_name') || E'\n\n' || format('您的护照姓名已变更为'
	    '"%s"，而银行卡 %s 的开户名为"%s"。奖助学金只能发放至与护照姓名一致的'
	    '账户，请重新提交银行卡。', p_passport->>'full_name',
	    v_card->>'account_number_masked', v_card->>'holder_name'),
	    jsonb_build_object('card', v_card->>'account_number_masked'), NULL);
END $$;

-- Published: the approved card the stipend is paid to (sealed; the
-- caller opens it with the service's key), or NULL.
CREATE OR REPLACE FUNCTION profile.stipend_card(p_student uuid)
RETURNS jsonb LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT profile.view(s.data, s.student_id, true)
	FROM profile.sections s
	WHERE s.student_id = p_student AND s.section = 'bank-card'
	    AND s.data <> '{}';
$$;

GRANT EXECUTE ON FUNCTION profile.stipend_card(uuid) TO is_scholarship;
