-- Run every minute by the first worker of auth: forget what has expired.
-- WeChat tickets live minutes and are kept 10 more, so a late poll still
-- hears "expired" rather than "not found"; nonces outlive the callback's
-- 300 s window.
CREATE OR REPLACE FUNCTION auth.housekeeping() RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
	v_tickets	bigint;
	v_nonces	bigint;
BEGIN
	DELETE FROM auth.wechat_tickets
	WHERE expires_at < now() - interval '10 minutes';
	GET DIAGNOSTICS v_tickets = ROW_COUNT;
	DELETE FROM auth.wechat_nonces
	WHERE seen_at < now() - interval '15 minutes';
	GET DIAGNOSTICS v_nonces = ROW_COUNT;
	RETURN jsonb_build_object('tickets', v_tickets, 'nonces', v_nonces);
END $$;
