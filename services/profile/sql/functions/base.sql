-- Helpers every profile function uses: refusals, the audit trail, the
-- sections' ETags, and the two views of a section (whole, or masked).

CREATE OR REPLACE FUNCTION profile.err(p_code text, p_detail text DEFAULT NULL,
    p_errors jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('error', p_code,
	    'detail', p_detail, 'errors', p_errors));
$$;

-- One field's refusal, in English and Chinese, as the validation
-- problem lists them.
CREATE OR REPLACE FUNCTION profile.field_error(p_field text, p_message text,
    p_message_zh text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('field', p_field, 'message', p_message,
	    'message_zh', p_message_zh);
$$;

CREATE OR REPLACE FUNCTION profile.field_err(p_field text, p_message text,
    p_message_zh text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT profile.err('validation', NULL, jsonb_build_array(
	    profile.field_error(p_field, p_message, p_message_zh)));
$$;

CREATE OR REPLACE FUNCTION profile.audit(p_actor uuid, p_action text,
    p_student uuid, p_section text, p_field text, p_before text,
    p_after text, p_details jsonb, p_request_id text, p_client text)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO profile.audit_log (actor_id, action, student_id, section,
	    field, before, after, details, request_id, client)
	VALUES (p_actor, p_action, p_student, p_section, p_field, p_before,
	    p_after, coalesce(p_details, '{}'), p_request_id, p_client);
$$;

CREATE OR REPLACE FUNCTION profile.etag(p_version integer)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT '"' || coalesce(p_version, 0) || '"';
$$;

-- Sealed values are stored as <name>_sealed (the ciphertext), <name>_masked
-- (for lists) and <name>_lookup (a keyed hash, to compare). The whole view
-- gives <name> as {"sealed", "owner"}, which the service opens before it
-- answers; the masked view gives <name>_masked. The hash never leaves.
-- p_keep_masked names fields that stay masked even in a whole view.
CREATE OR REPLACE FUNCTION profile.view(p_data jsonb, p_owner uuid,
    p_whole boolean, p_keep_masked text[] DEFAULT '{}') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT coalesce(jsonb_object_agg(
	    CASE WHEN o.open THEN left(e.key, -7) ELSE e.key END,
	    CASE WHEN o.open
		THEN jsonb_build_object('sealed', e.value, 'owner', p_owner)
		ELSE e.value END), '{}')
	FROM jsonb_each(p_data) e,
	    LATERAL (SELECT p_whole AND NOT regexp_replace(e.key,
		'_(sealed|masked|lookup)$', '') = ANY (coalesce(p_keep_masked,
		'{}')) AS open_field) f,
	    LATERAL (SELECT f.open_field AND e.key LIKE '%\_sealed' AS open) o
	WHERE e.key NOT LIKE '%\_lookup'
	    AND NOT (f.open_field AND e.key LIKE '%\_masked')
	    AND NOT (NOT f.open_field AND e.key LIKE '%\_sealed');
$$;

-- Masked values for the audit trail: a sealed field's before/after is its
-- masked form, never the ciphertext.
CREATE OR REPLACE FUNCTION profile.audit_value(p_data jsonb, p_field text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN p_data ? (p_field || '_masked')
	    THEN p_data->>(p_field || '_masked')
	    WHEN jsonb_typeof(p_data->p_field) = 'string'
	    THEN p_data->>p_field ELSE (p_data->p_field)::text END;
$$;

-- The sections whose whole sensitive values a staff role may open.
CREATE OR REPLACE FUNCTION profile.whole_sections(p_roles text[])
RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
	SELECT array_remove(ARRAY[
	    CASE WHEN p_roles && ARRAY['finance'] THEN 'bank-card' END,
	    CASE WHEN p_roles && ARRAY['io'] THEN 'passport' END,
	    CASE WHEN p_roles && ARRAY['io'] THEN 'accommodation' END], NULL);
$$;

-- The section whose whole values a document shows (a passport page shows
-- the passport number...): staff need that section's role to read it.
-- NULL: any member of staff in scope.
CREATE OR REPLACE FUNCTION profile.doc_kind_section(p_kind text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_kind
	    WHEN 'debit-card' THEN 'bank-card'
	    WHEN 'passport-page' THEN 'passport'
	    WHEN 'permit-page' THEN 'passport'
	    WHEN 'entry-stamp' THEN 'passport'
	    WHEN 'rental-contract' THEN 'accommodation' END;
$$;

-- The document kind a section's field refers to.
CREATE OR REPLACE FUNCTION profile.doc_field_kind(p_section text, p_field text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_section || '.' || p_field
	    WHEN 'basic.photo_id' THEN 'photo'
	    WHEN 'passport.page_id' THEN 'passport-page'
	    WHEN 'residence-permit.page_id' THEN 'permit-page'
	    WHEN 'residence-permit.entry_stamp_id' THEN 'entry-stamp'
	    WHEN 'bank-card.card_photo_id' THEN 'debit-card'
	    WHEN 'accommodation.contract_id' THEN 'rental-contract'
	    WHEN 'hsk.certificate_id' THEN 'hsk-certificate' END;
$$;
