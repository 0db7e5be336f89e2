-- A renewed passport (its number changed): the old number goes to the
-- history and becomes the section's old number, and the student is told
-- to apply for a new residence permit (the permit names the passport).
CREATE OR REPLACE FUNCTION profile.passport_renewed(p_student uuid,
    p_old jsonb, p_new jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO profile.passport_history (student_id, number_sealed,
	    number_masked, issue_date, expiry_date)
	VALUES (p_student, p_old->>'number_sealed', p_old->>'number_masked',
	    (p_old->>'issue_date')::date, (p_old->>'expiry_date')::date);
	PERFORM messaging.post_inbox(p_student, 'profile.passport-renewed',
	    'Apply for a new residence permit / 请申请新的居留许可',
	    'You updated your passport (now ' || (p_new->>'number_masked') ||
	    '). Your residence permit names your old passport: apply for a '
	    'new residence permit at the Exit-Entry Administration and update '
	    'it here once issued.' || E'\n\n' ||
	    '您已更新护照信息（新护照 ' || (p_new->>'number_masked') ||
	    '）。居留许可仍对应旧护照，请到出入境管理部门申请新的居留许可，'
	    '办理后在此更新。',
	    jsonb_build_object('old_number', p_old->>'number_masked',
	    'new_number', p_new->>'number_masked'), NULL);
	IF p_new ? 'old_number_sealed' THEN
		RETURN p_new;
	END IF;
	RETURN p_new || jsonb_build_object(
	    'old_number_sealed', p_old->'number_sealed',
	    'old_number_masked', p_old->'number_masked',
	    'old_number_lookup', p_old->'number_lookup');
END $$;
