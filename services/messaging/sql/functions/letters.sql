-- Letters between people: written to accounts the writer may reach (auth's
-- rule, auth.may_write) or in answer to a letter received, kept as one
-- sent copy and an inbox row per recipient, threaded by the first letter.
-- Lists page by key (the newest first, "before" the last one seen), never
-- by offset, so deep pages cost what the first does.

CREATE OR REPLACE FUNCTION messaging.letter_send(p_caller uuid, p_to text[],
    p_subject text, p_body text, p_attachments uuid[], p_reply_to uuid,
    p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_orig		messaging.letters;
	v_to		uuid[] := '{}';
	v_errs		jsonb := '[]';
	v_id		uuid;
	v_letter	messaging.letters;
	i		integer;
	v_one		uuid;
BEGIN
	IF p_reply_to IS NOT NULL THEN
		SELECT l.* INTO v_orig FROM messaging.inbox m
		JOIN messaging.letters l ON l.id = m.letter_id
		WHERE m.public_id = p_reply_to AND m.recipient_id = p_caller;
		IF v_orig.id IS NULL THEN
			RETURN messaging.err('not-found', 'No letter of yours to '
			    'answer (messages from the system are not answered)');
		END IF;
		v_to := ARRAY[v_orig.sender_id];
	END IF;
	FOR i IN 1 .. coalesce(cardinality(p_to), 0) LOOP
		SELECT a.id INTO v_one FROM auth.accounts_named(ARRAY[p_to[i]]) a;
		-- Unknown and unreachable look the same: no probing for
		-- accounts.
		IF v_one IS NULL OR NOT (v_one = ANY (v_to)
		    OR auth.may_write(p_caller, v_one)) THEN
			v_errs := v_errs || messaging.field_error(format('to[%s]',
			    i - 1), 'is not someone you can write to',
			    '不是您可以发信的对象');
		ELSIF NOT v_one = ANY (v_to) THEN
			v_to := v_to || v_one;
		END IF;
	END LOOP;
	IF cardinality(v_to) = 0 AND v_errs = '[]' THEN
		v_errs := jsonb_build_array(messaging.field_error('to',
		    'name at least one recipient', '请至少指定一位收件人'));
	END IF;
	IF cardinality(p_attachments) > 0 AND profile.documents_owned(p_caller,
	    p_attachments) <> (SELECT count(DISTINCT a)
	    FROM unnest(p_attachments) a) THEN
		v_errs := v_errs || messaging.field_error('attachments',
		    'must be documents you uploaded', '必须是您上传的文件');
	END IF;
	IF v_errs <> '[]' THEN
		RETURN messaging.err('validation', NULL, v_errs);
	END IF;
	v_id := gen_random_uuid();
	INSERT INTO messaging.letters (id, sender_id, subject, body, recipients,
	    thread_id, reply_to, attachments)
	VALUES (v_id, p_caller, p_subject, p_body, v_to,
	    coalesce(v_orig.thread_id, v_id), v_orig.id,
	    coalesce(p_attachments, '{}'))
	RETURNING * INTO v_letter;
	INSERT INTO messaging.inbox (recipient_id, kind, subject, body, details,
	    sender_id, letter_id)
	SELECT r, 'letter', p_subject, p_body, jsonb_build_object(
	    'attachments', to_jsonb(v_letter.attachments)), p_caller, v_id
	FROM unnest(v_to) r;
	RETURN messaging.letter_json(v_letter);
END $$;

-- The sender's copy: recipients named, and whether each has read it.
CREATE OR REPLACE FUNCTION messaging.letter_json(p_letter messaging.letters)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', p_letter.id,
	    'subject', p_letter.subject, 'body', p_letter.body,
	    'thread_id', p_letter.thread_id,
	    'attachments', to_jsonb(p_letter.attachments),
	    'created_at', p_letter.created_at,
	    'recipients', (SELECT coalesce(jsonb_agg(messaging.person(r)
		|| jsonb_build_object('read', m.read_at IS NOT NULL)
		ORDER BY o), '[]')
		FROM unnest(p_letter.recipients) WITH ORDINALITY AS t(r, o)
		LEFT JOIN messaging.inbox m ON m.letter_id = p_letter.id
		    AND m.recipient_id = t.r));
$$;

-- An inbox row as its owner sees it.
CREATE OR REPLACE FUNCTION messaging.message_json(p_m messaging.inbox,
    p_whole boolean) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', p_m.public_id, 'kind', p_m.kind,
	    'subject', p_m.subject,
	    'sender', CASE WHEN p_m.sender_id IS NOT NULL
		THEN messaging.person(p_m.sender_id) END,
	    'created_at', p_m.created_at, 'read', p_m.read_at IS NOT NULL,
	    'thread_id', (SELECT l.thread_id FROM messaging.letters l
		WHERE l.id = p_m.letter_id),
	    'attachments', coalesce(p_m.details->'attachments', '[]'))
	    || CASE WHEN p_whole THEN jsonb_build_object('body', p_m.body)
	    ELSE jsonb_build_object('preview', left(p_m.body, 140)) END;
$$;

CREATE OR REPLACE FUNCTION messaging.unread(p_caller uuid)
RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT count(*) FROM messaging.inbox m
	WHERE m.recipient_id = p_caller AND m.read_at IS NULL
	    AND m.deleted_at IS NULL;
$$;

-- p_q: keywords (keywords.sql), NULL for all.
CREATE OR REPLACE FUNCTION messaging.inbox_list(p_caller uuid, p_before bigint,
    p_limit integer, p_unread boolean, p_q text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH page AS (
		SELECT m.* FROM messaging.inbox m
		WHERE m.recipient_id = p_caller AND m.deleted_at IS NULL
		    AND (p_before IS NULL OR m.id < p_before)
		    AND (NOT coalesce(p_unread, false) OR m.read_at IS NULL)
		    AND (p_q IS NULL
			OR m.search @@ messaging.search_query(p_q))
		ORDER BY m.id DESC LIMIT p_limit + 1
	)
	SELECT jsonb_build_object(
	    'items', coalesce((SELECT jsonb_agg(messaging.message_json(p, false)
		ORDER BY p.id DESC) FROM (SELECT * FROM page ORDER BY id DESC
		LIMIT p_limit) p), '[]'),
	    'next', CASE WHEN (SELECT count(*) FROM page) > p_limit THEN
		(SELECT min(p.id)::text FROM (SELECT id FROM page
		ORDER BY id DESC LIMIT p_limit) p) END,
	    'unread', messaging.unread(p_caller));
$$;

-- One message, whole, with its thread: the letters of the thread the
-- caller received (and kept) or sent (and kept), oldest first.
CREATE OR REPLACE FUNCTION messaging.inbox_get(p_caller uuid, p_id uuid)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	m	messaging.inbox;
	v_thread uuid;
BEGIN
	SELECT * INTO m FROM messaging.inbox
	WHERE public_id = p_id AND recipient_id = p_caller
	    AND deleted_at IS NULL;
	IF m.id IS NULL THEN
		RETURN messaging.err('not-found');
	END IF;
	SELECT thread_id INTO v_thread FROM messaging.letters
	WHERE id = m.letter_id;
	RETURN messaging.message_json(m, true) || jsonb_build_object('thread',
	    CASE WHEN v_thread IS NULL THEN '[]'::jsonb
	    ELSE messaging.thread(p_caller, v_thread) END);
END $$;

CREATE OR REPLACE FUNCTION messaging.thread(p_caller uuid, p_thread uuid)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('letter_id', l.id,
	    'sender', messaging.person(l.sender_id), 'subject', l.subject,
	    'body', l.body, 'created_at', l.created_at,
	    'sent_by_me', l.sender_id = p_caller) ORDER BY l.seq), '[]')
	FROM messaging.letters l
	WHERE l.thread_id = p_thread AND (
	    (l.sender_id = p_caller AND l.deleted_at IS NULL)
	    OR EXISTS (SELECT 1 FROM messaging.inbox m WHERE m.letter_id = l.id
		AND m.recipient_id = p_caller AND m.deleted_at IS NULL));
$$;

CREATE OR REPLACE FUNCTION messaging.inbox_mark(p_caller uuid, p_id uuid,
    p_read boolean) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	m	messaging.inbox;
BEGIN
	UPDATE messaging.inbox SET read_at = CASE WHEN p_read
	    THEN coalesce(read_at, now()) END
	WHERE public_id = p_id AND recipient_id = p_caller
	    AND deleted_at IS NULL
	RETURNING * INTO m;
	IF m.id IS NULL THEN
		RETURN messaging.err('not-found');
	END IF;
	RETURN jsonb_build_object('id', m.public_id, 'read',
	    m.read_at IS NOT NULL, 'unread', messaging.unread(p_caller));
END $$;

-- Deleting removes it from the caller's view only: the other side keeps
-- theirs.
CREATE OR REPLACE FUNCTION messaging.inbox_delete(p_caller uuid, p_id uuid)
RETURNS jsonb LANGUAGE sql AS $$
	WITH d AS (
		UPDATE messaging.inbox SET deleted_at = now()
		WHERE public_id = p_id AND recipient_id = p_caller
		    AND deleted_at IS NULL
		RETURNING id
	)
	SELECT CASE WHEN EXISTS (SELECT 1 FROM d) THEN '{}'::jsonb
	    ELSE messaging.err('not-found') END;
$$;

CREATE OR REPLACE FUNCTION messaging.sent_list(p_caller uuid, p_before bigint,
    p_limit integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH page AS (
		SELECT l.* FROM messaging.letters l
		WHERE l.sender_id = p_caller AND l.deleted_at IS NULL
		    AND (p_before IS NULL OR l.seq < p_before)
		ORDER BY l.seq DESC LIMIT p_limit + 1
	)
	SELECT jsonb_build_object(
	    'items', coalesce((SELECT jsonb_agg(jsonb_build_object('id', p.id,
		'subject', p.subject, 'preview', left(p.body, 140),
		'thread_id', p.thread_id, 'created_at', p.created_at,
		'recipients', cardinality(p.recipients)) ORDER BY p.seq DESC)
		FROM (SELECT * FROM page ORDER BY seq DESC LIMIT p_limit) p),
		'[]'),
	    'next', CASE WHEN (SELECT count(*) FROM page) > p_limit THEN
		(SELECT min(p.seq)::text FROM (SELECT seq FROM page
		ORDER BY seq DESC LIMIT p_limit) p) END);
$$;

CREATE OR REPLACE FUNCTION messaging.sent_get(p_caller uuid, p_id uuid)
RETURNS jsonb LANGUAGE plpgsql STABLE AS $$
DECLARE
	l	messaging.letters;
BEGIN
	SELECT * INTO l FROM messaging.letters
	WHERE id = p_id AND sender_id = p_caller AND deleted_at IS NULL;
	IF l.id IS NULL THEN
		RETURN messaging.err('not-found');
	END IF;
	RETURN messaging.letter_json(l) || jsonb_build_object('thread',
	    messaging.thread(p_caller, l.thread_id));
END $$;

CREATE OR REPLACE FUNCTION messaging.sent_delete(p_caller uuid, p_id uuid)
RETURNS jsonb LANGUAGE sql AS $$
	WITH d AS (
		UPDATE messaging.letters SET deleted_at = now()
		WHERE id = p_id AND sender_id = p_caller AND deleted_at IS NULL
		RETURNING id
	)
	SELECT CASE WHEN EXISTS (SELECT 1 FROM d) THEN '{}'::jsonb
	    ELSE messaging.err('not-found') END;
$$;
