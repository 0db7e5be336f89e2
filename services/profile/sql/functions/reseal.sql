-- Key rotation: values sealed under a key other than the current one are
-- sealed again under it by the service (sections.c cannot do it in SQL:
-- the database never holds a key). Each run stores what the service
-- re-sealed in the last batch, where the value is still the one it read
-- (a student's save in between wins), and hands out the next batch.

-- Where sealed values live: a section's field, a bank review's card field,
-- a passport-history number.
-- p_skip: values the service could not open (their key is gone), left
-- out so they never fill a batch.
CREATE OR REPLACE FUNCTION profile.sealed_values(p_kid text, p_skip text[],
    p_limit integer) RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT coalesce(jsonb_agg(v), '[]') FROM (
		SELECT jsonb_build_object('at', 'section', 'owner', s.student_id,
		    'section', s.section, 'field', e.key,
		    'old', e.value #>> '{}') AS v
		FROM profile.sections s, jsonb_each(s.data) e
		WHERE e.key LIKE '%\_sealed'
		    AND NOT starts_with(e.value #>> '{}', 'v1.' || p_kid || '.')
		    AND NOT (e.value #>> '{}') = ANY (p_skip)
		UNION ALL
		SELECT jsonb_build_object('at', c.card, 'owner', r.student_id,
		    'id', r.id, 'field', e.key, 'old', e.value #>> '{}')
		FROM profile.bank_reviews r,
		    LATERAL (VALUES ('new_card', r.new_card),
			('old_card', r.old_card)) c(card, data),
		    jsonb_each(c.data) e
		WHERE c.data IS NOT NULL AND e.key LIKE '%\_sealed'
		    AND NOT starts_with(e.value #>> '{}', 'v1.' || p_kid || '.')
		    AND NOT (e.value #>> '{}') = ANY (p_skip)
		UNION ALL
		SELECT jsonb_build_object('at', 'history', 'owner', h.student_id,
		    'id', h.id, 'old', h.number_sealed)
		FROM profile.passport_history h
		WHERE NOT starts_with(h.number_sealed, 'v1.' || p_kid || '.')
		    AND NOT h.number_sealed = ANY (p_skip)
		LIMIT p_limit) x;
$$;

-- p_done: {"done": the last batch, each with "new"; "skip": values that
-- do not open}; p_scan false: store only (the last scan found nothing: no
-- need to read every row again yet). (The first version of this function
-- took the batch alone under the same name, and a parameter keeps its
-- name: CREATE OR REPLACE cannot rename it.)
CREATE OR REPLACE FUNCTION profile.reseal(p_kid text, p_done jsonb,
    p_limit integer, p_scan boolean) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	r	jsonb;
	n	integer := 0;
	k	integer;
BEGIN
	FOR r IN SELECT value FROM jsonb_array_elements(p_done->'done')
	    WHERE starts_with(value->>'new', 'v1.' || p_kid || '.') LOOP
		IF r->>'at' = 'section' THEN
			UPDATE profile.sections SET data = jsonb_set(data,
			    ARRAY[r->>'field'], to_jsonb(r->>'new'))
			WHERE student_id = (r->>'owner')::uuid
			    AND section = r->>'section'
			    AND data->>(r->>'field') = r->>'old';
		ELSIF r->>'at' = 'new_card' THEN
			UPDATE profile.bank_reviews SET new_card = jsonb_set(
			    new_card, ARRAY[r->>'field'], to_jsonb(r->>'new'))
			WHERE id = (r->>'id')::uuid
			    AND new_card->>(r->>'field') = r->>'old';
		ELSIF r->>'at' = 'old_card' THEN
			UPDATE profile.bank_reviews SET old_card = jsonb_set(
			    old_card, ARRAY[r->>'field'], to_jsonb(r->>'new'))
			WHERE id = (r->>'id')::uuid
			    AND old_card->>(r->>'field') = r->>'old';
		ELSIF r->>'at' = 'history' THEN
			UPDATE profile.passport_history
			SET number_sealed = r->>'new'
			WHERE id = (r->>'id')::bigint
			    AND number_sealed = r->>'old';
		END IF;
		GET DIAGNOSTICS k = ROW_COUNT;
		n := n + k;
	END LOOP;
	RETURN jsonb_build_object('resealed', n, 'next', CASE WHEN p_scan
	    THEN profile.sealed_values(p_kid, ARRAY(SELECT jsonb_array_elements_text(
		p_done->'skip')), p_limit) ELSE '[]' END);
END $$;
