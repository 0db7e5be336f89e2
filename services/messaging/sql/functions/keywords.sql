-- Keyword search over the inbox, Chinese and English, with a GIN index.
-- Measured before choosing: pg_trgm turns each CJK character into hashed
-- trigrams and cannot serve LIKE '%签证%' from its index (a sequential
-- scan over 20,000 rows here), and a two-character keyword has no
-- trigram at all. So a message's terms are its Latin words (lower case)
-- and every pair of neighbouring CJK characters; a keyword matches when
-- all its terms are there, its words as prefixes ("insur" finds
-- "insurance"), its CJK runs by their pairs ("签证", "居留许可").
-- messaging's 003_search.sql made these two functions first (the
-- trigger needs them); this file is their source from then on.

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

-- Unless they come with it: a notice's terms are computed once for all
-- its copies.
CREATE OR REPLACE FUNCTION messaging.inbox_search_terms()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' AND NEW.search IS NOT NULL THEN
		RETURN NEW;
	END IF;
	NEW.search := array_to_tsvector(messaging.search_terms(NEW.subject ||
	    ' ' || NEW.body));
	RETURN NEW;
END $$;

-- A keyword as a query: every term of it; words and single CJK
-- characters as prefixes. NULL when it has no term to look for.
CREATE OR REPLACE FUNCTION messaging.search_query(p_q text)
RETURNS tsquery LANGUAGE sql IMMUTABLE AS $$
	SELECT nullif(string_agg(quote_literal(t) || CASE WHEN t ~ '^[一-鿿㐀-䶿]$'
	    OR t !~ '^[一-鿿㐀-䶿]' THEN ':*' ELSE '' END, ' & '), '')::tsquery
	FROM unnest(messaging.search_terms(p_q)) t;
$$;
