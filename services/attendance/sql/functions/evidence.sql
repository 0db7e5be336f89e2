-- Evidence (hospital certificates, screenshots): stored as uploaded, typed
-- by content in the service. It is medical data: read by its owner, and by
-- the counsellors of the student who uploaded it or whose leave it backs.

CREATE OR REPLACE FUNCTION attendance.evidence_store(p_caller uuid, p_content_type text,
    p_data_hex text, p_sha256 text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_id	uuid;
	v_data	bytea := decode(p_data_hex, 'hex');
BEGIN
	INSERT INTO attendance.evidence (owner_id, content_type, size, sha256,
	    data)
	VALUES (p_caller, p_content_type, length(v_data), p_sha256, v_data)
	RETURNING id INTO v_id;
	RETURN jsonb_build_object('id', v_id, 'content_type', p_content_type,
	    'size', length(v_data), 'sha256', p_sha256);
END $$;

CREATE OR REPLACE FUNCTION attendance.evidence_get(p_caller uuid, p_roles text[],
    p_id uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT coalesce((SELECT jsonb_build_object('content_type',
	    e.content_type, 'data', encode(e.data, 'base64'))
	    FROM attendance.evidence e WHERE e.id = p_id
	    AND (attendance.reads_medical(p_caller, p_roles, e.owner_id)
		OR EXISTS (SELECT 1 FROM attendance.leave_requests l
		    WHERE l.certificate_id = e.id
		    AND attendance.reads_medical(p_caller, p_roles,
		    l.student_id)))), attendance.err('not-found'));
$$;
