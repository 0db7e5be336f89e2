-- When the session's holder last proved their password: changing how the
-- account is reached (email, mobile, WeChat) needs a recent proof. And an
-- index for the revocation feed (auth.revocations), which reads sessions
-- revoked since a moment.
ALTER TABLE auth.sessions ADD COLUMN reauth_at timestamptz;
CREATE INDEX sessions_revoked ON auth.sessions (revoked_at)
    WHERE revoked_at IS NOT NULL;

-- The session a binding code or ticket was asked from: it binds only while
-- that session lives (a logout or password reset ends what it started).
ALTER TABLE auth.verification_codes ADD COLUMN session_id uuid
    REFERENCES auth.sessions (id) ON DELETE CASCADE;
ALTER TABLE auth.wechat_tickets ADD COLUMN session_id uuid
    REFERENCES auth.sessions (id) ON DELETE CASCADE;
