-- A student's sections: the whole profile (the student's own, or a member
-- of staff's in scope) and the update of one section, refused unless its
-- If-Match names the version the client last read.

CREATE OR REPLACE FUNCTION profile.section_names()
RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
	SELECT ARRAY['basic', 'contact', 'emergency-contacts', 'family-members',
	    'education', 'bank-card', 'passport', 'residence-permit',
	    'accommodation', 'hsk'];
$$;

-- What stays masked for staff even where their role opens a section: the
-- card holder's passport number (finance checks it by its hash, matched
-- when the card was submitted; the passport is the IO's).
CREATE OR REPLACE FUNCTION profile.staff_masked(p_staff boolean)
RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_staff THEN ARRAY['holder_passport_number']
	    ELSE '{}'::text[] END;
$$;

-- A bank card's review request as the student and staff see it.
CREATE OR REPLACE FUNCTION profile.review_json(p_review profile.bank_reviews,
    p_whole boolean, p_staff boolean DEFAULT false) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN p_review.id IS NULL THEN NULL ELSE jsonb_build_object(
	    'id', p_review.id, 'state', p_review.state,
	    'submitted_at', p_review.submitted_at,
	    'decided_at', p_review.decided_at, 'reason', p_review.reason,
	    'new_card', profile.view(p_review.new_card, p_review.student_id,
		p_whole, profile.staff_masked(p_staff)),
	    'old_card', CASE WHEN p_review.old_card IS NOT NULL THEN
		profile.view(p_review.old_card, p_review.student_id, p_whole,
		profile.staff_masked(p_staff)) END) END;
$$;

-- One section: its ETag ("0" before the first save) and its data (null
-- before). The bank card's data is the approved card; its review is the
-- latest request for finance.
CREATE OR REPLACE FUNCTION profile.section_json(p_student uuid, p_section text,
    p_whole boolean, p_staff boolean DEFAULT false) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
	s	profile.sections;
	r	profile.bank_reviews;
	v	jsonb;
BEGIN
	SELECT * INTO s FROM profile.sections
	WHERE student_id = p_student AND section = p_section;
	v := jsonb_build_object('etag', profile.etag(s.version),
	    'updated_at', s.updated_at,
	    'data', CASE WHEN s.data IS NULL OR s.data = '{}' THEN NULL
		ELSE profile.view(s.data, p_student, p_whole,
		    profile.staff_masked(p_staff)) END);
	IF p_section = 'bank-card' THEN
		SELECT * INTO r FROM profile.bank_reviews
		WHERE student_id = p_student AND state <> 'superseded'
		ORDER BY submitted_at DESC LIMIT 1;
		v := v || jsonb_build_object('review',
		    profile.review_json(r, p_whole, p_staff));
	END IF;
	RETURN v;
END $$;

-- What is missing or expired: the sections every student must keep.
CREATE OR REPLACE FUNCTION profile.completeness(p_student uuid)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	WITH have AS (
		SELECT s.section, s.expires_on FROM profile.sections s
		WHERE s.student_id = p_student AND s.data <> '{}'
		    AND (s.section <> 'emergency-contacts'
			OR (jsonb_typeof(s.data->'rows') = 'array'
			AND jsonb_array_length(s.data->'rows') > 0))
	), missing AS (
		SELECT coalesce(jsonb_agg(n ORDER BY o), '[]') AS v
		FROM unnest(ARRAY['basic', 'contact', 'emergency-contacts',
		    'passport', 'residence-permit', 'bank-card'])
		    WITH ORDINALITY AS t(n, o)
		WHERE n NOT IN (SELECT h.section FROM have h)
	), expired AS (
		SELECT coalesce(jsonb_agg(h.section ORDER BY h.section), '[]') AS v
		FROM have h WHERE h.expires_on < current_date
	)
	SELECT jsonb_build_object('complete', m.v = '[]' AND e.v = '[]',
	    'missing', m.v, 'expired', e.v)
	FROM missing m, expired e;
$$;

-- The whole profile of a student; p_whole names the sections whose
-- sensitive values are given whole (the rest are masked), p_staff says
-- whether a member of staff reads it.
CREATE OR REPLACE FUNCTION profile.profile_doc(p_student uuid, p_whole text[],
    p_staff boolean) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object(
	    'student', (SELECT jsonb_build_object('id', b.id,
		'student_id', b.login, 'family_name', b.family_name,
		'given_name', b.given_name, 'chinese_name', b.chinese_name,
		'school', b.school, 'degree', b.degree, 'cohort', b.cohort,
		'nationality', b.nationality)
		FROM auth.students_brief(ARRAY[p_student]) b),
	    'sections', (SELECT jsonb_object_agg(n,
		profile.section_json(p_student, n, n = ANY (p_whole), p_staff))
		FROM unnest(profile.section_names()) n),
	    'passport_history', (SELECT coalesce(jsonb_agg(
		jsonb_strip_nulls(jsonb_build_object(
		'number', CASE WHEN 'passport' = ANY (p_whole) THEN
		    jsonb_build_object('sealed', h.number_sealed,
		    'owner', p_student) END,
		'number_masked', CASE WHEN NOT 'passport' = ANY (p_whole)
		    THEN h.number_masked END,
		'issue_date', h.issue_date, 'expiry_date', h.expiry_date,
		'replaced_at', h.replaced_at)) ORDER BY h.id DESC), '[]')
		FROM profile.passport_history h WHERE h.student_id = p_student),
	    'insurance', (SELECT coalesce(jsonb_agg(jsonb_build_object(
		'company', i.company, 'policy_name', i.policy_name,
		'policy_number', i.policy_number, 'valid_from', i.valid_from,
		'valid_to', i.valid_to, 'amount', i.amount,
		'effective_date', i.effective_date,
		'expiry_date', i.expiry_date,
		'company_contact', i.company_contact, 'status', i.status)
		ORDER BY i.expiry_date DESC), '[]')
		FROM profile.insurance i WHERE i.student_id = p_student),
	    'documents', (SELECT coalesce(jsonb_agg(jsonb_build_object(
		'id', d.id, 'kind', d.kind, 'version', d.version,
		'content_type', d.content_type, 'size', d.size,
		'sha256', d.sha256, 'uploaded_at', d.uploaded_at)
		ORDER BY d.kind, d.version DESC), '[]')
		FROM profile.documents d WHERE d.owner_id = p_student),
	    'completeness', profile.completeness(p_student));
$$;

-- GET /me: a student's own profile, every value whole.
CREATE OR REPLACE FUNCTION profile.me(p_caller uuid)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT profile.profile_doc(p_caller, profile.section_names(), false);
$$;

-- A student's profile for staff in scope, masked; p_reveal opens one
-- section's whole values to the role that needs them (as the database has
-- the caller's roles now), audited.
CREATE OR REPLACE FUNCTION profile.student(p_caller uuid, p_student uuid,
    p_reveal text, p_request_id text, p_client text)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	IF NOT auth.can_read_student(p_caller, p_student)
	    OR NOT EXISTS (SELECT 1 FROM auth.students_brief(ARRAY[p_student]))
	THEN
		RETURN profile.err('not-found');
	END IF;
	IF p_reveal IS NOT NULL THEN
		IF NOT p_reveal = ANY (profile.whole_sections(
		    auth.roles_of(p_caller))) THEN
			RETURN profile.err('forbidden', format('Your role may '
			    'not open the whole values of %s', p_reveal));
		END IF;
		PERFORM profile.audit(p_caller, 'read-whole', p_student,
		    p_reveal, NULL, NULL, NULL, NULL, p_request_id, p_client);
	END IF;
	RETURN profile.profile_doc(p_student,
	    CASE WHEN p_reveal IS NULL THEN '{}'::text[]
	    ELSE ARRAY[p_reveal] END, true);
END $$;

-- Every field that changed, with sealed values as their masked form
-- (compared by their keyed hash, not by the mask).
CREATE OR REPLACE FUNCTION profile.audit_changes(p_actor uuid, p_student uuid,
    p_section text, p_old jsonb, p_new jsonb, p_request_id text,
    p_client text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	k	text;
	f	text;
	n	integer := 0;
BEGIN
	FOR k IN SELECT DISTINCT key FROM (SELECT jsonb_object_keys(
	    coalesce(p_old, '{}')) UNION SELECT jsonb_object_keys(p_new)) t(key)
	    WHERE key NOT LIKE '%\_sealed' AND key NOT LIKE '%\_lookup'
	    ORDER BY 1 LOOP
		f := CASE WHEN k LIKE '%\_masked' THEN left(k, -7) ELSE k END;
		IF (k LIKE '%\_masked' AND (p_old->>(f || '_lookup'))
		    IS DISTINCT FROM (p_new->>(f || '_lookup')))
		    OR (k NOT LIKE '%\_masked' AND (p_old->k)
		    IS DISTINCT FROM (p_new->k)) THEN
			PERFORM profile.audit(p_actor, 'change', p_student,
			    p_section, f, profile.audit_value(p_old, f),
			    profile.audit_value(p_new, f), NULL, p_request_id,
			    p_client);
			n := n + 1;
		END IF;
	END LOOP;
	RETURN n;
END $$;

-- The documents a section names must be the student's own, of the kind
-- the field takes.
CREATE OR REPLACE FUNCTION profile.document_refusals(p_student uuid,
    p_section text, p_data jsonb) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(profile.field_error(e.key,
	    format('must be the id of a document of kind %s you uploaded',
	    profile.doc_field_kind(p_section, e.key)),
	    format('必须是您上传的 %s 类文件',
	    profile.doc_field_kind(p_section, e.key)))), '[]')
	FROM jsonb_each_text(p_data) e
	WHERE profile.doc_field_kind(p_section, e.key) IS NOT NULL
	    AND e.value IS NOT NULL
	    AND NOT EXISTS (SELECT 1 FROM profile.documents d
		WHERE d.id::text = lower(e.value) AND d.owner_id = p_student
		AND d.kind = profile.doc_field_kind(p_section, e.key));
$$;

-- The student's row of a section, locked for an update; version 0 (no
-- data) until the first save.
CREATE OR REPLACE FUNCTION profile.lock_section(p_student uuid, p_section text)
RETURNS profile.sections LANGUAGE plpgsql AS $$
DECLARE
	v	profile.sections;
BEGIN
	INSERT INTO profile.sections (student_id, section)
	VALUES (p_student, p_section) ON CONFLICT DO NOTHING;
	SELECT * INTO v FROM profile.sections
	WHERE student_id = p_student AND section = p_section FOR UPDATE;
	RETURN v;
END $$;

-- If-Match named another version than the current one.
CREATE OR REPLACE FUNCTION profile.stale(p_version integer)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT profile.err('precondition-failed', format('This section was '
	    'changed since you read it: its ETag is now %s. Read it again and '
	    'redo your change.', profile.etag(p_version)));
$$;

-- PUT /me/{section}. p_data is validated and sealed by the service;
-- p_if_match is the version the client read (0: never saved).
CREATE OR REPLACE FUNCTION profile.put_section(p_caller uuid, p_section text,
    p_if_match integer, p_data jsonb, p_request_id text, p_client text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	v_old	profile.sections;
	v_bad	jsonb;
	v_data	jsonb := p_data;
BEGIN
	IF NOT p_section = ANY (profile.section_names()) THEN
		RETURN profile.err('not-found');
	END IF;
	v_bad := profile.document_refusals(p_caller, p_section, p_data);
	IF v_bad <> '[]' THEN
		RETURN profile.err('validation', NULL, v_bad);
	END IF;
	IF p_section = 'bank-card' THEN
		RETURN profile.put_bank_card(p_caller, p_if_match, p_data,
		    p_request_id, p_client);
	END IF;
	v_old := profile.lock_section(p_caller, p_section);
	IF v_old.version <> p_if_match THEN
		RETURN profile.stale(v_old.version);
	END IF;
	IF p_section = 'passport' AND v_old.data ? 'number_lookup'
	    AND v_old.data->>'number_lookup' <> p_data->>'number_lookup' THEN
		v_data := profile.passport_renewed(p_caller, v_old.data, p_data);
	END IF;
	PERFORM profile.audit_changes(p_caller, p_caller, p_section,
	    CASE WHEN v_old.version = 0 THEN NULL ELSE v_old.data END,
	    v_data, p_request_id, p_client);
	IF p_section = 'passport' AND (v_old.data->>'full_name')
	    IS DISTINCT FROM (v_data->>'full_name') THEN
		PERFORM profile.card_holder_changed(p_caller, v_data);
	END IF;
	UPDATE profile.sections SET data = v_data,
	    version = version + 1,
	    expires_on = CASE WHEN p_section IN ('passport', 'residence-permit')
		THEN (v_data->>'expiry_date')::date END,
	    updated_at = now(), updated_by = p_caller
	WHERE student_id = p_caller AND section = p_section;
	RETURN profile.section_json(p_caller, p_section, true);
END $$;
