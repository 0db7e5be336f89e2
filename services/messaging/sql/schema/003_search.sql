-- Keyword search over the inbox (functions/keywords.sql says why these
-- terms): a term vector per message, kept by a trigger, and its index.
-- The two functions are made here because the trigger needs them before
-- the functions step runs; functions/keywords.sql is their source after.
CREATE OR REPLACE FUNCTION messaging.search_terms(p_text text)
RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT coalesce(array_agg(DISTINCT t), '{}') FROM (
		SELECT CASE WHEN r ~ '^[一-鿿㐀-䶿]' THEN substr(r, i, 2)
		    ELSE r END AS t
		FROM regexp_matches(lower(p_text),
		    '[一-鿿㐀-䶿]+|[0-9a-zà-ɏа-я]+', 'g') m(a),
		    LATERAL (SELECT a[1] AS r) x,
		    LATERAL generate_series(1, CASE WHEN r ~ '^[一-鿿㐀-䶿]'
			THEN greatest(length(r) - 1, 1) ELSE 1 END) i) y;
$$;

CREATE OR REPLACE FUNCTION messaging.inbox_search_terms()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.search := array_to_tsvector(messaging.search_terms(NEW.subject ||
	    ' ' || NEW.body));
	RETURN NEW;
END $$;

ALTER TABLE messaging.inbox ADD COLUMN search tsvector;
CREATE TRIGGER inbox_search_terms BEFORE INSERT OR UPDATE OF subject, body
    ON messaging.inbox FOR EACH ROW
    EXECUTE FUNCTION messaging.inbox_search_terms();
UPDATE messaging.inbox SET search = array_to_tsvector(
    messaging.search_terms(subject || ' ' || body));
CREATE INDEX inbox_search ON messaging.inbox USING gin (search);
