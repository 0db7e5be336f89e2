-- Codes sent to one address or number in a day are counted, whichever
-- account asked (auth.code_issue caps them).
CREATE INDEX verification_codes_target ON auth.verification_codes
    (lower(target), created_at);
