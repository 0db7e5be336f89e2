-- Tells the owner, on every channel verified before the change (p_before:
-- the account as it was), that the way their account is reached changed:
-- if it was not them, they know at once, and whom to ask. The new value is
-- shown masked: numbers get reassigned, the old one may be a stranger's.
CREATE OR REPLACE FUNCTION auth.tell_change(p_before auth.accounts,
    p_what text, p_new text, p_request_id text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	v_masked	text := CASE WHEN p_new IS NULL THEN NULL
	    WHEN p_new LIKE '%@%' THEN CASE WHEN position('@' IN p_new) > 2
		THEN left(p_new, 1) ELSE '' END || '***' ||
		substr(p_new, position('@' IN p_new))
	    ELSE '*******' || right(p_new, 4) END;
	v_subject	text := 'IS System: your ' || p_what ||
	    ' changed / 账号信息已变更';
	v_body		text := format('您的 IS System 账号的%s已变更%s。如非本人'
	    '操作，请立即联系国际学生办公室。' || chr(10) || 'The %s of your '
	    'IS System account was changed%s. If this was not you, contact '
	    'the International Office at once.',
	    CASE p_what WHEN 'email' THEN '邮箱' WHEN 'mobile number'
		THEN '手机号' ELSE '微信绑定' END,
	    coalesce('为 ' || v_masked, ''), p_what,
	    coalesce(' to ' || v_masked, ''));
BEGIN
	IF p_before.email_verified_at IS NOT NULL THEN
		PERFORM messaging.enqueue('email', p_before.email, v_subject,
		    v_body, p_before.id, false, p_request_id);
	END IF;
	IF p_before.mobile_verified_at IS NOT NULL THEN
		PERFORM messaging.enqueue('sms', p_before.mobile, v_subject,
		    v_body, p_before.id, false, p_request_id);
	END IF;
END $$;
