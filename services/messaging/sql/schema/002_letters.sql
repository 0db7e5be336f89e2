-- Letters between people: a sent letter (the sender's copy, in their sent
-- box) and one inbox row per recipient. Replies keep a thread (the first
-- letter's id). Each side deletes from its own view only. Inbox rows get
-- an unguessable id for the API; the bigint id stays the paging key.
CREATE TABLE messaging.letters (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	sender_id	uuid NOT NULL REFERENCES auth.accounts (id) ON DELETE CASCADE,
	subject		text NOT NULL CHECK (length(subject) BETWEEN 1 AND 300),
	body		text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
	recipients	uuid[] NOT NULL CHECK (cardinality(recipients) BETWEEN 1 AND 50),
	thread_id	uuid NOT NULL,
	reply_to	uuid,
	attachments	uuid[] NOT NULL DEFAULT '{}'
			    CHECK (cardinality(attachments) <= 10),
	created_at	timestamptz NOT NULL DEFAULT now(),
	seq		bigserial NOT NULL UNIQUE,
	deleted_at	timestamptz
);
CREATE INDEX letters_sent ON messaging.letters (sender_id, seq DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX letters_thread ON messaging.letters (thread_id);

ALTER TABLE messaging.inbox
	ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid(),
	ADD COLUMN letter_id uuid REFERENCES messaging.letters (id)
	    ON DELETE CASCADE,
	ADD COLUMN deleted_at timestamptz;
CREATE UNIQUE INDEX inbox_public_id ON messaging.inbox (public_id);
CREATE INDEX inbox_letter ON messaging.inbox (letter_id);
-- The inbox as its owner pages it (newest first), and what is unread.
CREATE INDEX inbox_view ON messaging.inbox (recipient_id, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX inbox_unread ON messaging.inbox (recipient_id)
    WHERE read_at IS NULL AND deleted_at IS NULL;
