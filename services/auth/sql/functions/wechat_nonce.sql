-- A signed callback of WeChat's, once: {"fresh": false} when this
-- (nonce, timestamp) was seen before (a replay). Pairs older than the
-- window (and a margin) are forgotten on the way.
CREATE OR REPLACE FUNCTION auth.wechat_nonce_fresh(p_nonce text,
    p_timestamp bigint) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM auth.wechat_nonces
	WHERE seen_at < now() - interval '15 minutes';
	INSERT INTO auth.wechat_nonces (nonce, ts) VALUES (p_nonce, p_timestamp)
	ON CONFLICT DO NOTHING;
	RETURN jsonb_build_object('fresh', FOUND);
END $$;
