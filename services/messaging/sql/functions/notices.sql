-- Notices to groups of students: the audience is auth's to decide (the
-- students the author may see that are in it: auth.audience), the text
-- the kind's bilingual template unless the author writes their own, with
-- {name} filled per recipient. One statement fans a notice out: an inbox
-- row per student and, by email, an outbox row per verified address.

CREATE OR REPLACE FUNCTION messaging.audit(p_actor uuid, p_action text,
    p_notice uuid, p_details jsonb, p_request_id text, p_client text)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO messaging.audit_log (actor_id, action, notice_id, details,
	    request_id, client)
	VALUES (p_actor, p_action, p_notice, coalesce(p_details, '{}'),
	    p_request_id, p_client);
$$;

-- Authors see their own notices; the International Office and admins all.
CREATE OR REPLACE FUNCTION messaging.notice_visible(p_caller uuid,
    p_roles text[], p_notice messaging.notices) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT p_notice.id IS NOT NULL AND (p_notice.author_id = p_caller
	    OR p_roles && ARRAY['io', 'admin']);
$$;

CREATE OR REPLACE FUNCTION messaging.notice_json(p_n messaging.notices)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', p_n.id, 'kind', p_n.kind,
	    'subject_en', p_n.subject_en, 'subject_zh', p_n.subject_zh,
	    'body_en', p_n.body_en, 'body_zh', p_n.body_zh,
	    'audience', p_n.audience, 'by_email', p_n.by_email,
	    'recipients', p_n.recipients, 'created_at', p_n.created_at,
	    'author', messaging.person(p_n.author_id),
	    'withdrawn_at', p_n.withdrawn_at,
	    'withdraw_reason', p_n.withdraw_reason,
	    'report', (SELECT jsonb_build_object(
		'read', count(*) FILTER (WHERE m.read_at IS NOT NULL),
		'unread', count(*) FILTER (WHERE m.read_at IS NULL),
		'read_rate', CASE WHEN count(*) > 0 THEN round(100.0 *
		    count(*) FILTER (WHERE m.read_at IS NOT NULL) / count(*),
		    1) END)
		FROM messaging.inbox m WHERE m.notice_id = p_n.id)
		|| jsonb_build_object('email', (SELECT jsonb_build_object(
		'pending', count(*) FILTER (WHERE o.status = 'pending'),
		'sent', count(*) FILTER (WHERE o.status = 'sent'),
		'failed', count(*) FILTER (WHERE o.status = 'failed'),
		'dead', count(*) FILTER (WHERE o.status = 'dead'))
		FROM messaging.outbox o WHERE o.notice_id = p_n.id)));
$$;

CREATE OR REPLACE FUNCTION messaging.notice_send(p_caller uuid, p_kind text,
    p_audience jsonb, p_subject_en text, p_subject_zh text, p_body_en text,
    p_body_zh text, p_by_email boolean, p_request_id text, p_client text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	t	messaging.notice_templates;
	n	messaging.notices;
	v_list	text[];
	v_terms	tsvector;
	v_count	integer;
	v_mails	integer;
BEGIN
	SELECT * INTO t FROM messaging.notice_templates WHERE kind = p_kind;
	IF t.kind IS NULL THEN
		RETURN messaging.err('validation', NULL, jsonb_build_array(
		    messaging.field_error('kind', 'is not a notice kind',
		    '不是通知类型')));
	END IF;
	v_list := ARRAY(SELECT jsonb_array_elements_text(
	    coalesce(p_audience->'students', '[]')));
	INSERT INTO messaging.notices (author_id, kind, subject_en, subject_zh,
	    body_en, body_zh, audience, by_email, recipients)
	VALUES (p_caller, p_kind, coalesce(p_subject_en, t.subject_en),
	    coalesce(p_subject_zh, t.subject_zh), coalesce(p_body_en, t.body_en),
	    coalesce(p_body_zh, t.body_zh), p_audience,
	    coalesce(p_by_email, false), 0)
	RETURNING * INTO n;
	-- The terms once for every copy (names aside).
	v_terms := array_to_tsvector(messaging.search_terms(n.subject_en || ' '
	    || n.subject_zh || ' ' || n.body_en || ' ' || n.body_zh));
	WITH a AS MATERIALIZED (
		SELECT * FROM auth.audience(p_caller, p_audience->>'type',
		    p_audience->>'value', v_list)
	), letters AS (
		INSERT INTO messaging.inbox (recipient_id, kind, subject, body,
		    details, sender_id, notice_id, search)
		SELECT a.id, 'notice.' || n.kind, n.subject_en || ' / ' ||
		    n.subject_zh, replace(n.body_en, '{name}', a.name) ||
		    E'\n\n' || replace(n.body_zh, '{name}', a.name),
		    jsonb_build_object('notice', n.id), p_caller, n.id, v_terms
		FROM a
		RETURNING 1
	), mails AS (
		INSERT INTO messaging.outbox (channel, recipient, subject, body,
		    account_id, request_id, notice_id)
		SELECT 'email', a.email, n.subject_en || ' / ' || n.subject_zh,
		    replace(n.body_en, '{name}', a.name) || E'\n\n' ||
		    replace(n.body_zh, '{name}', a.name), a.id, p_request_id, n.id
		FROM a WHERE n.by_email AND a.email IS NOT NULL
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM letters), (SELECT count(*) FROM mails)
	INTO v_count, v_mails;
	IF v_count = 0 THEN
		-- Nothing was sent: the notice goes too (one transaction).
		DELETE FROM messaging.notices WHERE id = n.id;
		RETURN messaging.err('validation', NULL, jsonb_build_array(
		    messaging.field_error('audience', 'reaches no student you '
		    'may write to', '不包含您可发送的学生')));
	END IF;
	UPDATE messaging.notices SET recipients = v_count WHERE id = n.id
	RETURNING * INTO n;
	IF v_mails > 0 THEN
		PERFORM pg_notify('messaging_outbox', 'notice');
	END IF;
	PERFORM messaging.audit(p_caller, 'notice.sent', n.id,
	    jsonb_build_object('recipients', v_count, 'emails', v_mails),
	    p_request_id, p_client);
	RETURN messaging.notice_json(n) || jsonb_build_object('emails', v_mails);
END $$;

CREATE OR REPLACE FUNCTION messaging.notices_list(p_caller uuid,
    p_roles text[], p_before bigint, p_limit integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH page AS (
		SELECT n.* FROM messaging.notices n
		WHERE messaging.notice_visible(p_caller, p_roles, n)
		    AND (p_before IS NULL OR n.seq < p_before)
		ORDER BY n.seq DESC LIMIT p_limit + 1
	)
	SELECT jsonb_build_object(
	    'items', coalesce((SELECT jsonb_agg(messaging.notice_json(p)
		- 'body_en' - 'body_zh' ORDER BY p.seq DESC)
		FROM (SELECT * FROM page ORDER BY seq DESC LIMIT p_limit) p),
		'[]'),
	    'next', CASE WHEN (SELECT count(*) FROM page) > p_limit THEN
		(SELECT min(p.seq)::text FROM (SELECT seq FROM page
		ORDER BY seq DESC LIMIT p_limit) p) END);
$$;

CREATE OR REPLACE FUNCTION messaging.notice_get(p_caller uuid, p_roles text[],
    p_id uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT messaging.notice_json(n)
	    FROM messaging.notices n WHERE n.id = p_id
	    AND messaging.notice_visible(p_caller, p_roles, n)),
	    messaging.err('not-found'));
$$;

-- Each recipient's state: read or not, and the email's delivery.
CREATE OR REPLACE FUNCTION messaging.notice_recipients(p_caller uuid,
    p_roles text[], p_id uuid, p_unread boolean, p_before bigint,
    p_limit integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH n AS (
		SELECT * FROM messaging.notices n WHERE n.id = p_id
		    AND messaging.notice_visible(p_caller, p_roles, n)
	), page AS (
		SELECT m.* FROM messaging.inbox m, n
		WHERE m.notice_id = n.id
		    AND (p_before IS NULL OR m.id < p_before)
		    AND (NOT coalesce(p_unread, false) OR m.read_at IS NULL)
		ORDER BY m.id DESC LIMIT p_limit + 1
	)
	SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM n)
	    THEN messaging.err('not-found') ELSE jsonb_build_object(
	    'items', coalesce((SELECT jsonb_agg(messaging.person(p.recipient_id)
		|| jsonb_build_object('read_at', p.read_at,
		'email', (SELECT o.status FROM messaging.outbox o
		    WHERE o.notice_id = p.notice_id
		    AND o.account_id = p.recipient_id LIMIT 1))
		ORDER BY p.id DESC)
		FROM (SELECT * FROM page ORDER BY id DESC LIMIT p_limit) p),
		'[]'),
	    'next', CASE WHEN (SELECT count(*) FROM page) > p_limit THEN
		(SELECT min(p.id)::text FROM (SELECT id FROM page
		ORDER BY id DESC LIMIT p_limit) p) END) END;
$$;

-- Withdrawn: gone from every inbox, its unsent emails not sent, audited.
CREATE OR REPLACE FUNCTION messaging.notice_withdraw(p_caller uuid,
    p_roles text[], p_id uuid, p_reason text, p_request_id text,
    p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	n	messaging.notices;
	v_gone	integer;
	v_held	integer;
BEGIN
	SELECT * INTO n FROM messaging.notices WHERE id = p_id FOR UPDATE;
	IF NOT messaging.notice_visible(p_caller, p_roles, n) THEN
		RETURN messaging.err('not-found');
	END IF;
	IF n.withdrawn_at IS NOT NULL THEN
		RETURN messaging.err('conflict', 'This notice was withdrawn '
		    'already.');
	END IF;
	UPDATE messaging.inbox SET deleted_at = now()
	WHERE notice_id = p_id AND deleted_at IS NULL;
	GET DIAGNOSTICS v_gone = ROW_COUNT;
	UPDATE messaging.outbox SET status = 'dead', last_error = 'withdrawn'
	WHERE notice_id = p_id AND status IN ('pending', 'failed');
	GET DIAGNOSTICS v_held = ROW_COUNT;
	UPDATE messaging.notices SET withdrawn_at = now(),
	    withdrawn_by = p_caller, withdraw_reason = p_reason
	WHERE id = p_id RETURNING * INTO n;
	PERFORM messaging.audit(p_caller, 'notice.withdrawn', n.id,
	    jsonb_build_object('reason', p_reason, 'removed', v_gone,
	    'emails_held', v_held), p_request_id, p_client);
	RETURN messaging.notice_json(n);
END $$;

CREATE OR REPLACE FUNCTION messaging.templates_list()
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('items', coalesce(jsonb_agg(to_jsonb(t)
	    ORDER BY t.kind), '[]'))
	FROM messaging.notice_templates t;
$$;
