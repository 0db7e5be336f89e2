-- Real WeChat gives one user a different openid in each app; the unionid is
-- the same across the apps of one open-platform account. A binding keeps
-- the official account's openid (from the scan), the unionid (from
-- user/info) and the mini-program's openid (from its first login, matched
-- by unionid).
ALTER TABLE auth.wechat_bindings ADD COLUMN mp_openid text UNIQUE
    CHECK (length(mp_openid) BETWEEN 6 AND 64);
CREATE UNIQUE INDEX wechat_bindings_unionid ON auth.wechat_bindings (unionid)
    WHERE unionid IS NOT NULL;

-- A web login by scan waits for the phone's confirmation in the
-- mini-program, which shows who asked (browser, address, time) by the
-- ticket's public id; a refused ticket logs nobody in.
ALTER TABLE auth.wechat_tickets
    ADD COLUMN confirm_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    ADD COLUMN requester_agent text CHECK (length(requester_agent) <= 512),
    ADD COLUMN requester_address text
	CHECK (length(requester_address) <= 64),
    ADD COLUMN decided_at timestamptz;
ALTER TABLE auth.wechat_tickets DROP CONSTRAINT wechat_tickets_state_check;
ALTER TABLE auth.wechat_tickets ADD CONSTRAINT wechat_tickets_state_check
    CHECK (state IN ('pending', 'scanned', 'needs-confirmation', 'bound',
    'consumed', 'unbound-scan', 'refused'));
CREATE INDEX wechat_tickets_expires ON auth.wechat_tickets (expires_at);
