-- Failed logins are counted per account in lanes: 'unknown' (a device that
-- never logged in to the account with its password), 'known' (one that
-- did, proved by its device token) and 'session' (a signed-in caller
-- proving the password again). An attacker fills and locks only the lane
-- they are in: the owner's known browser is not locked out.
ALTER TABLE auth.login_failures ADD COLUMN lane text NOT NULL
    DEFAULT 'unknown' CHECK (lane IN ('unknown', 'known', 'session'));
ALTER TABLE auth.login_failures DROP CONSTRAINT login_failures_pkey,
    ADD PRIMARY KEY (login, lane);

-- Failed logins per client address, whichever accounts they name: many
-- accounts tried from one address (password spraying) block the address's
-- logins from unknown devices for a while, and are audited.
CREATE TABLE auth.address_failures (
	address		text PRIMARY KEY CHECK (length(address) BETWEEN 1 AND 64),
	failures	integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
	logins		text[] NOT NULL DEFAULT '{}',
	window_start	timestamptz NOT NULL DEFAULT now(),
	blocked_until	timestamptz
);

-- Devices that logged in to an account with its password: their device
-- token (only its HMAC is kept) puts their logins in the 'known' lane.
CREATE TABLE auth.known_devices (
	token_hash	text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
	account_id	uuid NOT NULL REFERENCES auth.accounts (id)
			    ON DELETE CASCADE,
	user_agent	text CHECK (length(user_agent) <= 512),
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX known_devices_account ON auth.known_devices
    (account_id, last_used_at DESC);
