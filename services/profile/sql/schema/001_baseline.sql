-- The profile service's tables: a student's sections (one row each, with
-- its version for If-Match), documents and their versions, passport
-- history, the finance review of bank cards, insurance records imported by
-- the International Office, and the audit of every change and of every
-- staff read of a whole sensitive value.
--
-- Sensitive values (passport numbers, bank account numbers, landlord ID
-- numbers) never reach the database in clear: the service seals them
-- (AES-256-GCM, key id in the value) and stores next to each a masked form
-- for lists and a keyed hash to compare them (a renewed passport).

CREATE TABLE profile.sections (
	student_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	section		text NOT NULL CHECK (section IN ('basic', 'contact',
			    'emergency-contacts', 'family-members', 'education',
			    'bank-card', 'passport', 'residence-permit',
			    'accommodation', 'hsk')),
	-- 0 with no data: never saved (a row the first save locks).
	version		integer NOT NULL DEFAULT 0 CHECK (version >= 0),
	data		jsonb NOT NULL DEFAULT '{}',
	-- Passport and residence permit: when they expire (reminders).
	expires_on	date,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	updated_by	uuid,
	PRIMARY KEY (student_id, section)
);
CREATE INDEX sections_expiry ON profile.sections (expires_on, section)
    WHERE expires_on IS NOT NULL;

CREATE TABLE profile.documents (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	owner_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	kind		text NOT NULL CHECK (kind IN ('photo', 'passport-page',
			    'permit-page', 'entry-stamp', 'debit-card',
			    'rental-contract', 'hsk-certificate')),
	version		integer NOT NULL CHECK (version > 0),
	content_type	text NOT NULL,
	size		bigint NOT NULL CHECK (size > 0),
	sha256		text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	storage_key	text NOT NULL UNIQUE CHECK (storage_key ~ '^[a-z0-9-]{1,80}$'),
	uploaded_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (owner_id, kind, version)
);

CREATE TABLE profile.passport_history (
	id		bigserial PRIMARY KEY,
	student_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	number_sealed	text NOT NULL CHECK (number_sealed LIKE 'v1.%'),
	number_masked	text NOT NULL,
	issue_date	date,
	expiry_date	date,
	replaced_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX passport_history_student ON profile.passport_history (student_id, id);

CREATE TABLE profile.bank_reviews (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	student_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	state		text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending',
			    'approved', 'rejected', 'superseded')),
	old_card	jsonb,
	new_card	jsonb NOT NULL,
	submitted_at	timestamptz NOT NULL DEFAULT now(),
	decided_by	uuid,
	decided_at	timestamptz,
	reason		text CHECK (length(reason) <= 1000),
	CHECK ((state = 'pending') = (decided_at IS NULL)),
	CHECK (state <> 'rejected' OR reason IS NOT NULL)
);
CREATE UNIQUE INDEX bank_reviews_one_pending ON profile.bank_reviews (student_id)
    WHERE state = 'pending';
CREATE INDEX bank_reviews_state ON profile.bank_reviews (state, submitted_at);
CREATE INDEX bank_reviews_student ON profile.bank_reviews (student_id, submitted_at);

CREATE TABLE profile.insurance (
	id		bigserial PRIMARY KEY,
	student_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	company		text NOT NULL CHECK (length(company) BETWEEN 1 AND 120),
	policy_name	text NOT NULL CHECK (length(policy_name) BETWEEN 1 AND 120),
	policy_number	text NOT NULL CHECK (length(policy_number) BETWEEN 1 AND 60),
	valid_from	date NOT NULL,
	valid_to	date NOT NULL,
	amount		numeric(12, 2) CHECK (amount >= 0),
	effective_date	date,
	expiry_date	date NOT NULL,
	company_contact	text CHECK (length(company_contact) <= 120),
	status		text NOT NULL CHECK (status IN ('premium-paid',
			    'policy-issued')),
	imported_at	timestamptz NOT NULL DEFAULT now(),
	imported_by	uuid,
	CHECK (valid_from < valid_to),
	UNIQUE (student_id, policy_number)
);
CREATE INDEX insurance_expiry ON profile.insurance (expiry_date);

-- Changes (field by field, sensitive values masked), staff reads of whole
-- values, finance decisions, imports and exports.
CREATE TABLE profile.audit_log (
	id		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	actor_id	uuid,
	action		text NOT NULL CHECK (action IN ('change', 'read-whole',
			    'review', 'import', 'export', 'document-read')),
	student_id	uuid,
	section		text,
	field		text,
	before		text,
	after		text,
	details		jsonb NOT NULL DEFAULT '{}',
	request_id	text,
	client		text
);
CREATE INDEX profile_audit_student ON profile.audit_log (student_id, id);
CREATE INDEX profile_audit_actor ON profile.audit_log (actor_id, id);
