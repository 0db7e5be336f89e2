-- WeChat's callbacks carry (timestamp, nonce) under the signature; the
-- service takes a callback at most 300 s from its timestamp. A pair seen
-- once within that window is a replay: it is remembered here, and
-- forgotten when the window is long past.
CREATE TABLE auth.wechat_nonces (
	nonce		text NOT NULL CHECK (length(nonce) BETWEEN 1 AND 64),
	ts		bigint NOT NULL,
	seen_at		timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (nonce, ts)
);
CREATE INDEX wechat_nonces_seen ON auth.wechat_nonces (seen_at);
