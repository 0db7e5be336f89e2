-- Staff accounts never share a password: a new one has none until its
-- holder activates it with a one-time secret (auth.activations) handed
-- over out of band. Students keep the institution's initial password as a
-- policy, until initial_password_expires_at; after it they need an
-- activation from staff. Accounts still on the initial password when this
-- runs get the default 30 days from now.
ALTER TABLE auth.accounts ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE auth.accounts ADD COLUMN initial_password_expires_at timestamptz;
UPDATE auth.accounts SET initial_password_expires_at = now() + interval '30 days'
WHERE must_change_password;

CREATE TABLE auth.activations (
	account_id	uuid PRIMARY KEY REFERENCES auth.accounts (id)
			    ON DELETE CASCADE,
	secret_hash	text NOT NULL UNIQUE
			    CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	issued_by	uuid REFERENCES auth.accounts (id) ON DELETE SET NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL
);
