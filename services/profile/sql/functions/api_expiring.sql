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
