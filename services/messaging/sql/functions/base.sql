-- {"error": code, ...}: a refusal the service answers as problem+json.
CREATE OR REPLACE FUNCTION messaging.err(p_code text, p_detail text DEFAULT NULL,
    p_errors jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('error', p_code,
	    'detail', p_detail, 'errors', p_errors));
$$;

CREATE OR REPLACE FUNCTION messaging.field_error(p_field text, p_message text,
    p_message_zh text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
	SELECT jsonb_build_object('field', p_field, 'message', p_message,
	    'message_zh', p_message_zh);
$$;

-- Who someone is, as letters show them; NULL for the system.
CREATE OR REPLACE FUNCTION messaging.person(p_id uuid)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('id', p.id, 'login', p.login, 'name', p.name,
	    'chinese_name', p.chinese_name)
	FROM auth.people(ARRAY[p_id]) p;
$$;
