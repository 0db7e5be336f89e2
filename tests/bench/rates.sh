#!/usr/bin/env bash
# Benchmark: a student's attendance rates with a year of data loaded.
# STUDENTS students (5,000), each in 8 courses of 32 h (16 weekly sessions
# of 2 h) in both semesters of school year 2025-2026, all held, with a
# record for most sessions: about 1.3 million records. Loaded once and
# kept (marked BRTnnnnnn / BRATE-*); RESEED=1 loads them again.
#
# Then GET /api/v1/attendance/rates with every student's own token, in
# turn, through nginx: first one request at a time (CONNS, 1), the latency
# a student sees; then 64 at once, the throughput (about 2 ms of database
# time each: two connections already keep both cores of a 2-core machine
# busy, and past that the latency is queueing). And the SQL alone
# (attendance.student_rates, one client, pgbench). Next to the nginx ->
# Kore hello figure of the same run. Loopback only, about a minute once
# loaded (loading takes a minute or two more).
#
# Usage: tests/bench/rates.sh   (brings the dev stack up if needed)
# Env:   STUDENTS (5000), CONNS (1), BENCH_SECONDS (10), RESEED (0),
#        IS_INSTANCE (dev), IS_HTTP_PORT (8080), IS_PG_PORT (55432)
# Last line: rates_p50_ms=N rates_p99_ms=N rates_rps_64=N sql_p99_ms=N
#            records=N hello_rps=N
set -euo pipefail
. "$(dirname "$0")/lib.sh"
STUDENTS=${STUDENTS:-5000}
CONNS=${CONNS:-1}
SECS=${BENCH_SECONDS:-10}
GROUP=50		# students taking the same 8 courses
bench_stack

LOADED=$(psql_db -c "SELECT count(*) FROM auth.accounts WHERE login LIKE 'BRT%'")
if [ "${RESEED:-0}" = 1 ] || [ "$LOADED" -ne "$STUDENTS" ]; then
	echo "loading a year of attendance for $STUDENTS students..."
	{ echo "DELETE FROM attendance.courses WHERE code LIKE 'BRATE-%';
	    DELETE FROM auth.accounts WHERE login LIKE 'BRT%';"
	  students_sql BRT "$STUDENTS"; cat <<'SQL'; } |
INSERT INTO attendance.rooms (code, name, latitude, longitude, radius_m)
VALUES ('BRATEROOM', 'Rates bench hall', 45.75, 126.63, 100)
ON CONFLICT DO NOTHING;
-- Group g takes courses BRATE-g-1 .. BRATE-g-8 in each semester.
INSERT INTO attendance.courses (code, school_year, semester, name_en, hours,
    teacher_id, school)
SELECT format('BRATE-%s-%s', g, k), '2025-2026', sem, 'Rates course ' || k,
    32, (SELECT id FROM auth.accounts WHERE login = 'T0001'),
    'School of Computing'
FROM generate_series(1, (:n + :grp - 1) / :grp) g,
    generate_series(1, 8) k, generate_series(1, 2) sem;
INSERT INTO attendance.enrolments (course_id, student_id)
SELECT c.id, a.id FROM auth.accounts a
JOIN attendance.courses c ON c.code LIKE format('BRATE-%s-%%',
    (substr(a.login, 4)::int - 1) / :grp + 1)
WHERE a.login LIKE 'BRT%';
-- Sixteen weekly sessions, 8:00 + k hours on the course's weekday.
INSERT INTO attendance.class_sessions (course_id, starts_at, ends_at, room,
    hours, method)
SELECT c.id, t, t + interval '100 min', 'BRATEROOM', 2, 'qr'
FROM attendance.courses c,
    generate_series(0, 15) w,
    LATERAL (SELECT ((CASE c.semester WHEN 1 THEN date '2025-09-08'
	ELSE date '2026-03-02' END + w * 7
	+ (split_part(c.code, '-', 3)::int % 5))::timestamp
	+ make_interval(hours => 7 + split_part(c.code, '-', 3)::int))
	AT TIME ZONE 'Asia/Shanghai' AS t) x
WHERE c.code LIKE 'BRATE-%';
-- Most are present; some late, early, on leave, absent, or no record
-- (drawn from a hash of the pair: the same data on every load).
INSERT INTO attendance.records (student_id, session_id, status, source,
    final, late_scan, checked_in_at, recorded_by)
SELECT e.student_id, s.id, v.status, 'qr', v.status = 'absent',
    v.status = 'absent', s.starts_at - interval '3 min', e.student_id
FROM attendance.enrolments e
JOIN attendance.courses c ON c.id = e.course_id AND c.code LIKE 'BRATE-%'
JOIN attendance.class_sessions s ON s.course_id = c.id,
LATERAL (SELECT (hashtext(e.student_id::text || s.id::text)::bigint
    + 2147483648) / 4294967296.0 AS r) x,
LATERAL (SELECT CASE WHEN x.r < 0.86 THEN 'present'
    WHEN x.r < 0.89 THEN 'late' WHEN x.r < 0.91 THEN 'left_early'
    WHEN x.r < 0.93 THEN 'personal_leave' WHEN x.r < 0.94 THEN 'sick_leave'
    WHEN x.r < 0.97 THEN 'absent' END AS status) v
WHERE v.status IS NOT NULL;
SQL
	    psql_db -1 -f - -v n="$STUDENTS" -v grp="$GROUP"
	psql_db -c "VACUUM ANALYZE auth.accounts, auth.account_roles,
	    attendance.courses, attendance.enrolments,
	    attendance.class_sessions, attendance.records"
fi
RECORDS=$(psql_db -c "SELECT count(*) FROM attendance.records r
    JOIN auth.accounts a ON a.id = r.student_id WHERE a.login LIKE 'BRT%'")
echo "$STUDENTS students, $RECORDS records of theirs"

# One web session and token per student (replaced on every run).
psql_db -F $'\t' >"$TMP/claims.tsv" <<'SQL'
DELETE FROM auth.sessions s USING auth.accounts a
    WHERE a.id = s.account_id AND a.login LIKE 'BRT%';
INSERT INTO auth.sessions (account_id, client, expires_at)
SELECT id, 'web', now() + interval '1 hour' FROM auth.accounts
WHERE login LIKE 'BRT%';
-- (a statement of its own: claims() reads the sessions just made)
SELECT auth.claims(s.account_id, s.id) FROM auth.sessions s
JOIN auth.accounts a ON a.id = s.account_id AND a.login LIKE 'BRT%';
SQL
mint_tokens <"$TMP/claims.tsv" >"$TMP/tokens"
[ "$(wc -l <"$TMP/tokens")" -eq "$STUDENTS" ] || { echo "no tokens"; exit 1; }

cat >"$TMP/rates.lua" <<'LUA'
-- Every request is another student asking for their own rates.
local tokens, i = {}, 0
function init(args)
	for line in io.lines(args[1]) do table.insert(tokens, line) end
	i = math.random(#tokens)
end
function request()
	i = i % #tokens + 1
	return wrk.format("GET", "/api/v1/attendance/rates", {
	    ["Authorization"] = "Bearer " .. tokens[i] })
end
function response(status, headers, body)
	if status ~= 200 and not reported then
		reported = true
		io.stderr:write(status .. " " .. body .. "\n")
	end
end
LUA

# One answer looked at: two semesters of eight courses each.
curl -fsS -H "Authorization: Bearer $(head -n 1 "$TMP/tokens")" \
    "$BASE/api/v1/attendance/rates" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sems = d["semesters"]
assert len(sems) == 2 and all(len(s["courses"]) == 8 for s in sems), d
print("sample: %s semester %s: attendance %s%%, absence %s%%" % (
    sems[0]["school_year"], sems[0]["semester"],
    sems[0]["overall_attendance_rate"], sems[0]["total_absence_rate"]))'

HELLO_RPS=$(hello_rps)
THREADS=$(( CONNS < 2 ? 1 : 2 ))
wrk -t"$THREADS" -c"$CONNS" -d2s -s "$TMP/rates.lua" "$BASE" -- "$TMP/tokens" >/dev/null
wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -s "$TMP/rates.lua" "$BASE" -- \
    "$TMP/tokens" >"$TMP/light.txt"
read -r LIGHT_RPS P50 P99 BAD1 < <(wrk_figures "$TMP/light.txt")
echo "GET /rates, $CONNS connections: $LIGHT_RPS req/s, p50 $P50 ms, p99 $P99 ms"
wrk -t2 -c64 -d"${SECS}s" --latency -s "$TMP/rates.lua" "$BASE" -- \
    "$TMP/tokens" >"$TMP/heavy.txt"
read -r HEAVY_RPS HP50 HP99 BAD2 < <(wrk_figures "$TMP/heavy.txt")
echo "GET /rates, 64 connections: $HEAVY_RPS req/s, p50 $HP50 ms, p99 $HP99 ms"
[ "$BAD1" = 0 ] && [ "$BAD2" = 0 ] || { echo "non-2xx answers: $BAD1 $BAD2"; exit 1; }

# The SQL alone, one client, a random student each time.
cat >"$TMP/rates.sql" <<SQL
\set i random(1, $STUDENTS)
SELECT attendance.student_rates(a.id, ARRAY['student'], NULL, NULL, NULL)
FROM auth.accounts a WHERE a.login = 'BRT' || lpad(:i::text, 6, '0');
SQL
(cd "$TMP" && PGPASSWORD= pgbench -n -h "$RUN/pgsock" -p "$PG_PORT" \
    -U postgres -c 1 -T 5 -f "$TMP/rates.sql" --log --log-prefix=sql \
    isys >"$TMP/pgbench.txt" 2>&1)
SQL_P99=$(cat "$TMP"/sql.* | awk '{print $3}' | sort -n | awk '
    { v[NR] = $1 } END { printf "%.2f", v[int(NR * 0.99)] / 1000 }')
echo "attendance.student_rates alone, 1 client: p99 $SQL_P99 ms"

echo "rates_p50_ms=$P50 rates_p99_ms=$P99 rates_rps_64=$HEAVY_RPS" \
    "sql_p99_ms=$SQL_P99 records=$RECORDS hello_rps=$HELLO_RPS"
