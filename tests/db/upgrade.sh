#!/usr/bin/env bash
# A database built and used by the previous main -- commit fe869ae: one
# numbered sequence of migrations, one role (here isys_upgrade_app) owning
# everything -- upgrades in place with deploy/db-roles.sh and
# deploy/migrate.sh: every row is kept, the schema ends up identical to a
# database built fresh (the test stack's), the legacy role is gone, and
# the services' roles work on it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
DB=isys_upgrade
LEGACY=isys_upgrade_app
PREVIOUS=fe869ae
cleanup() {
	super -d postgres -c "DROP DATABASE IF EXISTS $DB" \
	    -c "DROP ROLE IF EXISTS $LEGACY" >/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# The previous main's migrator and migrations, from this clone's history.
git -C "$ROOT" archive "$PREVIOUS" deploy/migrate.sh deploy/migrations |
    tar -x -C "$TMP" ||
    fail "this test needs the history of main (commit $PREVIOUS)"
super -d postgres -c "DROP DATABASE IF EXISTS $DB" \
    -c "DROP ROLE IF EXISTS $LEGACY" -c "CREATE ROLE $LEGACY LOGIN" \
    -c "CREATE DATABASE $DB OWNER $LEGACY"
"$TMP/deploy/migrate.sh" "$(conninfo $LEGACY $DB)" >/dev/null
pass "a database built by $PREVIOUS's migrations"

# Used as that version used it: accounts, scopes, sessions, codes, the
# outbox, a timetable, records, a correction, the policy, warnings in the
# inbox, evidence.
psql -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PG_PORT" -U "$LEGACY" -d "$DB" \
    >/dev/null <<'SQL'
\set h '''scrypt$16384$8$1$c2FsdA$aGFzaA'''
SELECT auth.import_students('[
 {"row":2,"student_id":"UPG00001","family_name":"SMITH","given_name":"Ann",
  "school":"School of Computing","degree":"master","cohort":"2023",
  "nationality":"UK","sex":"female"},
 {"row":3,"student_id":"UPG00002","family_name":"LEE","given_name":"Bo",
  "school":"School of Computing","degree":"phd","cohort":"2024",
  "nationality":"Korea"}]', :h, NULL, 'upgrade', 'cli');
SELECT auth.staff_upsert(s::jsonb, :h, NULL, 'upgrade', 'cli') FROM unnest(ARRAY[
 '{"staff_id":"UPGA01","family_name":"ADMIN","given_name":"A","roles":["admin"]}',
 '{"staff_id":"UPGT01","family_name":"WANG","given_name":"Lei",
   "school":"School of Computing","roles":["teacher"]}',
 '{"staff_id":"UPGC01","family_name":"LI","given_name":"Na",
   "school":"School of Computing","roles":["counsellor"],
   "students":["UPG00001","UPG00002"]}']) s;
CREATE TEMP TABLE who AS SELECT login, id FROM auth.accounts;
SELECT auth.open_session(id, 'web', 'curl', NULL, md5(login) || md5(login),
    3600, 'login', 'upgrade') FROM who WHERE login LIKE 'UPG0%';
SELECT auth.code_issue(id, login, 'bind-email', login || '@stu.hit.edu.cn',
    md5('c') || md5('d'), 600, 60, 5, 'code', 'your code', 'upgrade', 'web')
    FROM who WHERE login = 'UPG00001';
INSERT INTO auth.wechat_bindings (account_id, openid)
    SELECT id, 'o-upgrade-1' FROM who WHERE login = 'UPG00001';
\set admin '(SELECT id FROM who WHERE login = ''UPGA01'')'
\set teacher '(SELECT id FROM who WHERE login = ''UPGT01'')'
\set counsellor '(SELECT id FROM who WHERE login = ''UPGC01'')'
SELECT attendance.import_rooms(:admin, ARRAY['admin'], '[{"row":2,
    "code":"UPG-R1","name":"Hall","latitude":"45.75","longitude":"126.63",
    "radius_m":"100"}]', 'upgrade', 'web');
SELECT attendance.import_courses(:admin, ARRAY['admin'], '[{"row":2,
    "code":"UPG-C1","school_year":"2025-2026","semester":"1",
    "name_en":"Upgrades","hours":"32","teacher":"UPGT01",
    "school":"School of Computing"}]', 'upgrade', 'web');
SELECT attendance.import_enrolments(:admin, ARRAY['admin'], '[
    {"row":2,"course_code":"UPG-C1","school_year":"2025-2026",
     "semester":"1","student_id":"UPG00001"},
    {"row":3,"course_code":"UPG-C1","school_year":"2025-2026",
     "semester":"1","student_id":"UPG00002"}]', 'upgrade', 'web');
SELECT attendance.import_sessions(:admin, ARRAY['admin'], '[
    {"row":2,"course_code":"UPG-C1","school_year":"2025-2026","semester":"1",
     "date":"2025-09-08","start":"08:00","end":"09:40","room":"UPG-R1",
     "hours":"2","method":"roll_call"},
    {"row":3,"course_code":"UPG-C1","school_year":"2025-2026","semester":"1",
     "date":"2025-09-15","start":"08:00","end":"09:40","room":"UPG-R1",
     "hours":"2","method":"qr"}]', 'upgrade', 'web');
SELECT attendance.session_record_bulk(:teacher, ARRAY['teacher'], s.id,
    '[{"student":"UPG00001","status":"present"},
      {"student":"UPG00002","status":"late"}]', 'upgrade', 'web')
    FROM attendance.class_sessions s WHERE s.method = 'roll_call';
SELECT attendance.record_correct(:counsellor, ARRAY['counsellor'], s.id,
    'UPG00002', 'present', 'on camera in time', NULL, 'upgrade', 'web')
    FROM attendance.class_sessions s WHERE s.method = 'roll_call';
SELECT attendance.policy_set(:admin, ARRAY['admin'],
    '{"late_per_absence": 3}', 'upgrade', 'web');
SELECT attendance.warnings_send(:admin, ARRAY['admin'], '2025-2026', 1,
    'upgrade', 'web');
SELECT attendance.evidence_store(id, 'application/pdf',
    encode('%PDF-1.4 upgrade', 'hex'), repeat('a', 64))
    FROM who WHERE login = 'UPG00002';
SELECT attendance.import_sessions(:admin, ARRAY['admin'], '[
    {"row":2,"course_code":"UPG-C1","school_year":"2025-2026","semester":"1",
     "date":"2030-01-07","start":"08:00","end":"09:40","room":"UPG-R1",
     "hours":"2","method":"qr"}]', 'upgrade', 'web');
SELECT attendance.leave_apply(id, ARRAY['student'], 'sick', 'flu',
    '2030-01-07T00:00Z', '2030-01-08T00:00Z',
    (SELECT e.id FROM attendance.evidence e WHERE e.owner_id = who.id),
    'upgrade', 'web') FROM who WHERE login = 'UPG00002';
SELECT auth.login_finish('UPG00002', id, false, md5('x') || md5('y'), 'web',
    'curl', NULL, 5, 900, 3600, 'upgrade') FROM who WHERE login = 'UPG00002';
SELECT auth.wechat_ticket_create('login', md5('s') || md5('t'), NULL, 300,
    false, 'upgrade', 'web');
INSERT INTO messaging.dev_sink (outbox_id, channel, recipient, subject, body)
    SELECT id, channel, recipient, subject, body FROM messaging.outbox;
SQL

# Every table of the three schemas: its rows, in a stable order, without
# the columns later migrations add (public.upgrade_columns: how many each
# table had before the upgrade).
digest() {
	super -d "$DB" <<-'SQL'
	SELECT format('SELECT %L || '' '' || count(*) || '' '' ||
	    coalesce(md5(string_agg((to_jsonb(t) - %L::text[])::text, ''|''
	    ORDER BY (to_jsonb(t) - %L::text[])::text)), ''-'')
	    FROM %I.%I t', p.schemaname || '.' || p.tablename, added, added,
	    p.schemaname, p.tablename)
	FROM pg_tables p
	CROSS JOIN LATERAL (SELECT coalesce(array_agg(a.attname), '{}') added
	    FROM pg_attribute a JOIN public.upgrade_columns u
	    ON u.rel = a.attrelid
	    WHERE a.attrelid = format('%I.%I', p.schemaname,
		p.tablename)::regclass AND (a.attnum > u.last
		-- Changed on purpose, checked below: auth 008 takes the
		-- shared initial password from unused staff accounts.
		OR (a.attrelid = 'auth.accounts'::regclass
		AND a.attname = 'password_hash'))) c
	WHERE p.schemaname IN ('auth', 'attendance', 'messaging')
	ORDER BY p.schemaname, p.tablename
	\gexec
	SQL
}
super -d "$DB" -q <<-'SQL'
CREATE TABLE public.upgrade_columns AS SELECT attrelid::oid AS rel,
    max(attnum) AS last FROM pg_attribute a JOIN pg_class c
    ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('auth', 'attendance', 'messaging')
    AND c.relkind = 'r' GROUP BY attrelid;
SQL
digest >"$TMP/before"
# The passwords the upgrade keeps: all but unused staff accounts' (008).
kept_passwords() {
	super -d "$DB" -c "SELECT md5(coalesce(string_agg(login || password_hash,
	    ',' ORDER BY login), '')) FROM auth.accounts
	    WHERE NOT (kind = 'staff' AND must_change_password)"
}
kept_passwords >"$TMP/passwords.before"
[ "$(grep -c ' 0 -$' "$TMP/before" || true)" = 0 ] ||
    fail "the seed left tables empty: $(grep ' 0 -$' "$TMP/before" | tr '\n' ' ')"

IS_DB_LEGACY_OWNER=$LEGACY "$ROOT/deploy/db-roles.sh" \
    "host=$SOCK port=$PG_PORT user=postgres" "$DB"
"$ROOT/deploy/migrate.sh" "$(conninfo is_migrator $DB)" >"$TMP/migrate.out" 2>&1 ||
    { cat "$TMP/migrate.out"; fail "the upgrade failed"; }
grep -q "adopted a database of the single-sequence layout" "$TMP/migrate.out" ||
    { cat "$TMP/migrate.out"; fail "the database was not adopted"; }
pass "upgraded in place"

digest >"$TMP/after"
super -d "$DB" -c "DROP TABLE public.upgrade_columns"
# Tables later migrations add are new (and empty): the old ones compare.
awk 'NR == FNR { old[$1] = 1; next } ($1 in old)' "$TMP/before" "$TMP/after" \
    >"$TMP/after.old"
diff "$TMP/before" "$TMP/after.old" || fail "rows changed in the upgrade"
pass "every row kept ($(wc -l <"$TMP/before") tables)"
kept_passwords | diff "$TMP/passwords.before" - ||
    fail "passwords changed in the upgrade"
[ "$(super -d "$DB" -c "SELECT count(*) FROM auth.accounts WHERE kind =
    'staff' AND must_change_password AND password_hash IS NOT NULL")" = 0 ] ||
    fail "an unused staff account kept the shared initial password"
pass "passwords kept; unused staff accounts need an activation"

# The same schema as a database built fresh by this version (the stack's).
schema() {
	pg_dump -s -h "$SOCK" -p "$PG_PORT" -U postgres "$1" |
	    grep -v '^\\\(un\)\?restrict '
}
schema isys >"$TMP/fresh.sql"
schema "$DB" >"$TMP/upgraded.sql"
diff "$TMP/fresh.sql" "$TMP/upgraded.sql" >"$TMP/schema.diff" ||
    { head -40 "$TMP/schema.diff"; fail "the upgraded schema differs from a fresh one"; }
pass "schema identical to a fresh database"

[ "$(super -d postgres -c "SELECT count(*) FROM pg_roles
    WHERE rolname = '$LEGACY'")" = 0 ] || fail "the legacy role is still there"
[ "$(super -d "$DB" -c "SELECT to_regclass('public.schema_migrations') IS NULL
    AND (SELECT count(*) FROM migrator.applied WHERE adopted) = 3")" = t ] ||
    fail "the legacy bookkeeping was not replaced"
pass "legacy role and bookkeeping gone"

# The services' roles work on the upgraded data.
student=$(super -d "$DB" -c "SELECT id FROM auth.accounts WHERE login = 'UPG00001'")
as is_attendance "$DB" "SELECT attendance.student_rates('$student',
    ARRAY['student'], NULL, NULL, NULL)" | grep -q '"UPG-C1"' ||
    fail "attendance cannot read the rates of the upgraded data"
as is_auth "$DB" "SELECT auth.login_lookup('UPG00001', NULL, '', 3, 1)" |
    grep -q '"hash"' ||
    fail "auth cannot look up an upgraded account"
pass "the services' roles work on the upgraded data"

"$ROOT/deploy/migrate.sh" "$(conninfo is_migrator $DB)" >"$TMP/again.out" 2>&1
! grep -q applying "$TMP/again.out" || fail "a second migrate applied something"
pass "a second migrate changes nothing"
