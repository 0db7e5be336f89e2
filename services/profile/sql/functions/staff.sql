-- Staff views: find students, the documents about to expire, the export
-- for the International Office and a student's change history. Who sees
-- which student is auth's rule (auth.visible_students).

CREATE OR REPLACE FUNCTION profile.students_find(p_caller uuid, p_q text,
    p_school text, p_nationality text, p_degree text, p_cohort integer,
    p_limit integer, p_offset integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH f AS (
		SELECT * FROM auth.find_students(p_caller, p_q, p_school,
		    p_nationality, p_degree, p_cohort, p_limit, p_offset)
	)
	SELECT jsonb_build_object(
	    -- An offset past the end has no rows to carry the total.
	    'total', coalesce((SELECT max(f.total) FROM f),
		(SELECT t.total FROM auth.find_students(p_caller, p_q,
		p_school, p_nationality, p_degree, p_cohort, 1, 0) t), 0),
	    'items', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'id', f.id, 'student_id', f.login,
		'family_name', f.family_name, 'given_name', f.given_name,
		'chinese_name', f.chinese_name, 'school', f.school,
		'degree', f.degree, 'cohort', f.cohort,
		'nationality', f.nationality,
		'completeness', profile.completeness(f.id)) ORDER BY f.ord)
		FROM f), '[]'));
$$;

-- Passports, residence permits and insurance policies that expire within
-- p_days (or have expired), soonest first.
CREATE OR REPLACE FUNCTION profile.expiring_json(p_caller uuid, p_days integer,
    p_limit integer, p_offset integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	WITH e AS (
		SELECT x.student_id, x.document, x.expires_on
		FROM profile.expiring_documents(p_days) x
		WHERE x.student_id IN (SELECT v.student_id
		    FROM auth.visible_students(p_caller) v)
	)
	SELECT jsonb_build_object('total', (SELECT count(*) FROM e),
	    'items', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'student', jsonb_build_object('id', b.id, 'student_id', b.login,
		    'name', b.given_name || ' ' || b.family_name,
		    'school', b.school),
		'document', p.document, 'expires_on', p.expires_on,
		'days_left', p.expires_on - current_date,
		'expired', p.expires_on < current_date)
		ORDER BY p.expires_on, b.login, p.document)
		FROM (SELECT * FROM e ORDER BY e.expires_on, e.student_id,
		    e.document LIMIT p_limit OFFSET p_offset) p
		JOIN auth.students_brief((SELECT array_agg(e.student_id)
		    FROM e)) b ON b.id = p.student_id), '[]'));
$$;

-- The International Office's export: one row per student in scope, with
-- the same masking as every list. Audited.
CREATE OR REPLACE FUNCTION profile.export(p_caller uuid, p_request_id text,
    p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v	jsonb;
BEGIN
	SELECT coalesce(jsonb_agg(jsonb_build_object(
	    'student_id', b.login, 'family_name', b.family_name,
	    'given_name', b.given_name, 'chinese_name', b.chinese_name,
	    'school', b.school, 'degree', b.degree, 'cohort', b.cohort,
	    'nationality', b.nationality,
	    'passport_full_name', p.data->>'full_name',
	    'passport_number', p.data->>'number_masked',
	    'passport_expiry', p.data->>'expiry_date',
	    'permit_number', rp.data->>'number',
	    'permit_expiry', rp.data->>'expiry_date',
	    'mobile', c.data->>'mobile', 'email', c.data->>'email',
	    'bank_name', bc.data->>'bank_name',
	    'bank_account', bc.data->>'account_number_masked',
	    'off_campus', a.data->>'off_campus',
	    'hsk_level', h.data->>'level',
	    'missing', (SELECT string_agg(m, ' ') FROM jsonb_array_elements_text(
		profile.completeness(b.id)->'missing') m))
	    ORDER BY b.login), '[]')
	INTO v
	FROM auth.students_brief(ARRAY(SELECT s.student_id
	    FROM auth.visible_students(p_caller) s)) b
	LEFT JOIN profile.sections p ON p.student_id = b.id
	    AND p.section = 'passport'
	LEFT JOIN profile.sections rp ON rp.student_id = b.id
	    AND rp.section = 'residence-permit'
	LEFT JOIN profile.sections c ON c.student_id = b.id
	    AND c.section = 'contact'
	LEFT JOIN profile.sections bc ON bc.student_id = b.id
	    AND bc.section = 'bank-card'
	LEFT JOIN profile.sections a ON a.student_id = b.id
	    AND a.section = 'accommodation'
	LEFT JOIN profile.sections h ON h.student_id = b.id
	    AND h.section = 'hsk';
	PERFORM profile.audit(p_caller, 'export', NULL, NULL, NULL, NULL, NULL,
	    jsonb_build_object('rows', jsonb_array_length(v)), p_request_id,
	    p_client);
	RETURN jsonb_build_object('items', v);
END $$;

-- A student's change history, newest first.
CREATE OR REPLACE FUNCTION profile.history(p_caller uuid, p_student uuid,
    p_limit integer, p_offset integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN NOT auth.can_read_student(p_caller, p_student)
	    THEN profile.err('not-found') ELSE jsonb_build_object(
	    'total', (SELECT count(*) FROM profile.audit_log a
		WHERE a.student_id = p_student),
	    'items', coalesce((SELECT jsonb_agg(jsonb_build_object('at', a.at,
		'actor', a.actor_id, 'action', a.action, 'section', a.section,
		'field', a.field, 'before', a.before, 'after', a.after,
		'client', a.client) ORDER BY a.id DESC)
		FROM (SELECT * FROM profile.audit_log a
		    WHERE a.student_id = p_student ORDER BY a.id DESC
		    LIMIT p_limit OFFSET p_offset) a), '[]')) END;
$$;
