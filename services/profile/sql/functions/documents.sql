-- Documents: the service types and stores the file (docstore.c); the
-- database keeps what it is, its version and where it lies. A student
-- reads their own; staff read those of the students in their scope, and
-- every such read is audited.

-- Before a file is stored: may the student upload another today?
CREATE OR REPLACE FUNCTION profile.upload_allowed(p_caller uuid,
    p_daily_max integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN (SELECT count(*) FROM profile.documents
	    WHERE owner_id = p_caller AND uploaded_at > now() - interval '1 day')
	    >= p_daily_max THEN profile.err('rate-limited', format('At most %s '
	    'uploads a day', p_daily_max)) ELSE '{}'::jsonb END;
$$;

CREATE OR REPLACE FUNCTION profile.document_add(p_caller uuid, p_kind text,
    p_content_type text, p_size bigint, p_sha256 text, p_storage_key text,
    p_daily_max integer, p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	d	profile.documents;
BEGIN
	-- One upload of a kind at a time per student: versions follow on.
	PERFORM pg_advisory_xact_lock(hashtext('profile.documents'),
	    hashtext(p_caller::text));
	IF (SELECT count(*) FROM profile.documents WHERE owner_id = p_caller
	    AND uploaded_at > now() - interval '1 day') >= p_daily_max THEN
		RETURN profile.err('rate-limited', format('At most %s uploads a '
		    'day', p_daily_max));
	END IF;
	INSERT INTO profile.documents (owner_id, kind, version, content_type,
	    size, sha256, storage_key)
	VALUES (p_caller, p_kind, coalesce((SELECT max(version)
	    FROM profile.documents WHERE owner_id = p_caller AND kind = p_kind),
	    0) + 1, p_content_type, p_size, p_sha256, p_storage_key)
	RETURNING * INTO d;
	PERFORM profile.audit(p_caller, 'change', p_caller, 'documents', d.kind,
	    NULL, format('version %s, %s, %s bytes, sha256 %s', d.version,
	    d.content_type, d.size, d.sha256), jsonb_build_object('document',
	    d.id), p_request_id, p_client);
	RETURN jsonb_build_object('id', d.id, 'kind', d.kind,
	    'version', d.version, 'content_type', d.content_type,
	    'size', d.size, 'sha256', d.sha256, 'uploaded_at', d.uploaded_at);
END $$;

CREATE OR REPLACE FUNCTION profile.document_get(p_caller uuid, p_id uuid,
    p_request_id text, p_client text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	d	profile.documents;
BEGIN
	SELECT * INTO d FROM profile.documents WHERE id = p_id;
	IF d.id IS NULL OR NOT auth.can_read_student(p_caller, d.owner_id) THEN
		RETURN profile.err('not-found');
	END IF;
	-- A page showing a sensitive number: the role that may open it.
	IF d.owner_id <> p_caller AND profile.doc_kind_section(d.kind) IS NOT NULL
	    AND NOT profile.doc_kind_section(d.kind) = ANY (
	    profile.whole_sections(auth.roles_of(p_caller))) THEN
		RETURN profile.err('forbidden', format('A %s shows what your role '
		    'may not see whole', d.kind));
	END IF;
	IF d.owner_id <> p_caller THEN
		PERFORM profile.audit(p_caller, 'document-read', d.owner_id, NULL,
		    d.kind, NULL, NULL, jsonb_build_object('document', d.id,
		    'version', d.version), p_request_id, p_client);
	END IF;
	RETURN jsonb_build_object('id', d.id, 'kind', d.kind,
	    'version', d.version, 'content_type', d.content_type,
	    'size', d.size, 'sha256', d.sha256,
	    'storage_key', d.storage_key);
END $$;
