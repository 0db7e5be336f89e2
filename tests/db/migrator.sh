#!/usr/bin/env bash
# The migrator's rules (deploy/migrate.sh), on a scratch database of the
# test cluster with a copy of the services' SQL:
#   - an applied schema migration that was edited, or removed, is refused
#     before anything is applied;
#   - functions are source: a function removed from the source is
#     dropped, and so is a publication (GRANT) removed from it;
#   - a function that does not compile leaves the previous ones in place.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
DB=isys_migrator_rules
trap 'super -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null; rm -rf "$TMP"' EXIT
cp -r "$ROOT/services" "$TMP/services"
export IS_SQL_ROOT=$TMP/services
SQL=$TMP/services
migrate() { "$ROOT/deploy/migrate.sh" "$(conninfo is_migrator $DB)" >"$TMP/out" 2>&1; }
value() { super -d "$DB" -c "$1"; }

fresh_db "$DB"
migrate || { cat "$TMP/out"; fail "a fresh database does not migrate"; }
nschema=$(ls "$SQL"/*/sql/schema/*.sql | wc -l)
[ "$(value "SELECT count(*) FROM migrator.applied")" = "$nschema" ] ||
    fail "each of the $nschema schema migrations expected in migrator.applied"
migrate && ! grep -q applying "$TMP/out" || fail "a second run applied something"
pass "fresh database migrated, second run a no-op"

# An edited applied migration, next to a new one: nothing runs.
cat >"$SQL/attendance/sql/schema/002_probe.sql" <<'SQL'
CREATE TABLE attendance.probe (id int PRIMARY KEY);
SQL
cp "$SQL/auth/sql/schema/001_baseline.sql" "$TMP/baseline.sql"
echo "-- an afterthought" >>"$SQL/auth/sql/schema/001_baseline.sql"
if migrate; then fail "an edited applied migration was accepted"; fi
grep -q "auth: 001_baseline.sql was edited after it was applied" "$TMP/out" ||
    { cat "$TMP/out"; fail "the refusal does not say what was edited"; }
[ "$(value "SELECT to_regclass('attendance.probe') IS NULL")" = t ] ||
    fail "a migration ran although another was refused"
pass "an edited applied migration is refused, nothing applied"

# A removed applied migration: refused too.
mv "$SQL/auth/sql/schema/001_baseline.sql" "$TMP/removed.sql"
if migrate; then fail "a removed applied migration was accepted"; fi
grep -q "auth: applied migration 001_baseline.sql is missing" "$TMP/out" ||
    { cat "$TMP/out"; fail "the refusal does not say what is missing"; }
cp "$TMP/baseline.sql" "$SQL/auth/sql/schema/001_baseline.sql"
pass "a removed applied migration is refused"

# Badly named migrations are refused.
touch "$SQL/auth/sql/schema/2_bad.sql"
if migrate; then fail "a badly named migration was accepted"; fi
grep -q "bad migration name 2_bad.sql" "$TMP/out" || { cat "$TMP/out"; fail "no reason given"; }
rm "$SQL/auth/sql/schema/2_bad.sql"
pass "a badly named migration is refused"

migrate || { cat "$TMP/out"; fail "the new migration was not applied"; }
[ "$(value "SELECT to_regclass('attendance.probe') IS NOT NULL")" = t ] ||
    fail "002_probe.sql was not applied"
pass "a new migration applies once the tree is right"

# A function published to profile, then removed from the source.
cat >"$SQL/attendance/sql/functions/zz_probe.sql" <<'SQL'
CREATE OR REPLACE FUNCTION attendance.zz_probe() RETURNS int
LANGUAGE sql STABLE AS $$ SELECT 42 $$;
GRANT EXECUTE ON FUNCTION attendance.zz_probe() TO is_profile;
SQL
migrate || { cat "$TMP/out"; fail "a new function was not applied"; }
[ "$(as is_profile "$DB" "SELECT attendance.zz_probe()")" = 42 ] ||
    fail "profile cannot call what attendance publishes to it"
sed -i '/GRANT/d' "$SQL/attendance/sql/functions/zz_probe.sql"
migrate || { cat "$TMP/out"; fail "migrate failed"; }
[ "$(value "SELECT has_function_privilege('is_profile',
    'attendance.zz_probe()', 'EXECUTE')")" = f ] ||
    fail "a publication removed from the source is still granted"
[ "$(value "SELECT has_schema_privilege('is_profile', 'attendance',
    'USAGE')")" = f ] || fail "profile keeps USAGE on attendance"
rm "$SQL/attendance/sql/functions/zz_probe.sql"
migrate || { cat "$TMP/out"; fail "migrate failed"; }
grep -q "dropping attendance.zz_probe()" "$TMP/out" ||
    { cat "$TMP/out"; fail "the drop of a removed function is not said"; }
[ "$(value "SELECT to_regprocedure('attendance.zz_probe()') IS NULL")" = t ] ||
    fail "a function removed from the source is still there"
pass "functions are source: removed functions and grants go"

# A function that does not compile: the step fails as a whole.
before=$(value "SELECT md5(string_agg(p.oid::regprocedure::text || p.prosrc,
    '' ORDER BY p.oid)) FROM pg_proc p WHERE pronamespace =
    'attendance'::regnamespace")
cat >"$SQL/attendance/sql/functions/zz_broken.sql" <<'SQL'
CREATE OR REPLACE FUNCTION attendance.zz_broken() RETURNS int
LANGUAGE sql STABLE AS $$ SELECT count(*) FROM attendance.no_such_table $$;
SQL
sed -i 's/round(100 \* p_part \/ p_whole, 2)/round(100 * p_part \/ p_whole, 3)/' \
    "$SQL/attendance/sql/functions/helpers.sql"
grep -q "p_whole, 3)" "$SQL/attendance/sql/functions/helpers.sql" ||
    fail "the test could not change attendance.pct"
if migrate; then fail "a function that does not compile was accepted"; fi
grep -q "no_such_table" "$TMP/out" || { cat "$TMP/out"; fail "no reason given"; }
after=$(value "SELECT md5(string_agg(p.oid::regprocedure::text || p.prosrc,
    '' ORDER BY p.oid)) FROM pg_proc p WHERE pronamespace =
    'attendance'::regnamespace")
[ "$before" = "$after" ] || fail "a failed function step changed functions"
pass "a failed function step leaves the previous functions in place"
