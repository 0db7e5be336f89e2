-- What profile publishes to messaging: expiry dates for reminders, and
-- whether attachments are the sender's documents.

-- Published: the passports, residence permits and insurance policies that
-- expire within p_days (or already have), for messaging's reminders and
-- the staff list. SECURITY DEFINER with a pinned search_path: callers have
-- no rights on profile's tables.
CREATE OR REPLACE FUNCTION profile.expiring_documents(p_days integer)
RETURNS TABLE (student_id uuid, document text, expires_on date)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT s.student_id, s.section, s.expires_on FROM profile.sections s
	WHERE s.expires_on IS NOT NULL
	    AND s.expires_on <= current_date + p_days
	UNION ALL
	SELECT i.student_id, 'insurance', max(i.expiry_date)
	FROM profile.insurance i GROUP BY i.student_id
	HAVING max(i.expiry_date) <= current_date + p_days;
$$;

GRANT EXECUTE ON FUNCTION profile.expiring_documents(integer) TO is_messaging;

-- Published: how many of these documents p_owner uploaded (messaging's
-- attachments must be the sender's own).
CREATE OR REPLACE FUNCTION profile.documents_owned(p_owner uuid, p_ids uuid[])
RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
	SELECT count(*)::integer FROM profile.documents d
	WHERE d.owner_id = p_owner AND d.id = ANY (p_ids);
$$;

GRANT EXECUTE ON FUNCTION profile.documents_owned(uuid, uuid[]) TO is_messaging;
