-- Staff accounts created before activations existed (schema 007) that were
-- never used still opened with the shared initial password: they now have
-- none, and need an activation from an administrator (listed by
-- auth.not_activated as 'no-password').
UPDATE auth.accounts SET password_hash = NULL,
    initial_password_expires_at = NULL
WHERE kind = 'staff' AND must_change_password AND password_hash IS NOT NULL;

-- Who asked for a code (the client address): recovery codes, which anyone
-- can trigger, are capped per recipient and requester, so a stranger cannot
-- use up the owner's own recoveries.
ALTER TABLE auth.verification_codes ADD COLUMN requester text
    CHECK (length(requester) <= 64);
