#!/usr/bin/env bash
# Benchmark: the start of many classes at once. SESSIONS open QR sessions
# x PER_SESSION enrolled students (200 x 50 by default); every student
# checks in once, as fast as CONNS connections through nginx allow. Reports
# check-ins/s committed to PostgreSQL, p50/p99 latency, lost and duplicated
# records (counted in the database afterwards), next to a pgbench
# single-row-insert baseline and the nginx -> Kore hello figure measured in
# the same run. Loopback only, bounded (about a minute).
#
# Usage: tests/bench/checkin_burst.sh   (brings the dev stack up if needed)
# Env:   SESSIONS (200), PER_SESSION (50), CONNS (128), IS_INSTANCE (dev),
#        IS_HTTP_PORT (8080), IS_PG_PORT (55432)
# Last line: checkins_per_s=N p50_ms=N p99_ms=N lost=N duplicated=N
#            insert_baseline_per_s=N hello_rps=N
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SESSIONS=${SESSIONS:-200}
PER_SESSION=${PER_SESSION:-50}
CONNS=${CONNS:-128}
N=$((SESSIONS * PER_SESSION))
bench_stack

echo "seeding $SESSIONS sessions x $PER_SESSION students..."
# Bench data lives under its own names (BQnnnnnn, BENCH-nnn, BENCHROOM)
# and is replaced on every run.
{ students_sql BQ "$N"; cat <<'SQL'; } |
DELETE FROM attendance.courses WHERE code LIKE 'BENCH-%';
DELETE FROM auth.sessions s USING auth.accounts a
    WHERE a.id = s.account_id AND a.login LIKE 'BQ%';
INSERT INTO attendance.rooms (code, name, latitude, longitude, radius_m)
VALUES ('BENCHROOM', 'Bench hall', 45.75, 126.63, 100)
ON CONFLICT DO NOTHING;
-- The official account's openid and the mini-program's differ, as in
-- real WeChat; sessions carry the mini-program's.
INSERT INTO auth.wechat_bindings (account_id, openid, mp_openid)
SELECT id, 'oabench' || login, 'obench' || login FROM auth.accounts
WHERE login LIKE 'BQ%'
ON CONFLICT (account_id) DO UPDATE SET openid = EXCLUDED.openid,
    mp_openid = EXCLUDED.mp_openid;
INSERT INTO attendance.courses (code, school_year, semester, name_en, hours,
    teacher_id, school)
SELECT 'BENCH-' || lpad(c::text, 4, '0'), '2026-2027', 1, 'Bench course', 32,
    (SELECT id FROM auth.accounts WHERE login = 'T0001'), 'School of Computing'
FROM generate_series(1, :sessions) c;
INSERT INTO attendance.enrolments (course_id, student_id)
SELECT co.id, a.id FROM auth.accounts a
JOIN attendance.courses co ON co.code = 'BENCH-' || lpad(
    ((substr(a.login, 3)::int - 1) / :per + 1)::text, 4, '0')
WHERE a.login LIKE 'BQ%' AND substr(a.login, 3)::int <= :n;
INSERT INTO attendance.class_sessions (course_id, starts_at, ends_at, room,
    hours, method, checkin_opened_at)
SELECT id, now() + interval '10 min', now() + interval '100 min',
    'BENCHROOM', 2, 'qr', now()
FROM attendance.courses WHERE code LIKE 'BENCH-%';
SQL
    psql_db -v n="$N" -v per="$PER_SESSION" -v sessions="$SESSIONS" -f -

# One mini-program session per student, as its WeChat login would open.
psql_db -v n="$N" -F $'\t' >"$TMP/pairs.tsv" <<'SQL'
INSERT INTO auth.sessions (account_id, client, wechat_openid, expires_at)
SELECT a.id, 'miniprogram', 'obench' || a.login, now() + interval '3 hours'
FROM auth.accounts a WHERE a.login LIKE 'BQ%'
    AND substr(a.login, 3)::int <= :n;
SELECT s.id, auth.claims(o.account_id, o.id)
FROM auth.sessions o
JOIN auth.accounts a ON a.id = o.account_id AND a.login LIKE 'BQ%'
JOIN attendance.enrolments e ON e.student_id = o.account_id
JOIN attendance.courses c ON c.id = e.course_id AND c.code LIKE 'BENCH-%'
JOIN attendance.class_sessions s ON s.course_id = c.id;
SQL
cut -f2 "$TMP/pairs.tsv" | mint_tokens >"$TMP/tokens"
cut -f1 "$TMP/pairs.tsv" | paste - "$TMP/tokens" >"$TMP/session_token.tsv"
[ "$(wc -l <"$TMP/session_token.tsv")" -eq "$N" ] || { echo "seeding failed"; exit 1; }

# The timetable of a real class start was loaded long before: let the
# seeding's dead rows be vacuumed and the statistics be current, so that
# autovacuum does not start in the middle of the burst.
psql_db -c "VACUUM ANALYZE auth.accounts, auth.account_roles,
    auth.wechat_bindings, auth.sessions, attendance.courses,
    attendance.enrolments, attendance.class_sessions, attendance.records"

# nginx -> Kore hello, and the database's own single-row insert rate.
HELLO_RPS=$(hello_rps)
psql_db -c "CREATE TABLE IF NOT EXISTS public.bench_insert (id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(), v int NOT NULL)"
echo 'INSERT INTO public.bench_insert (v) VALUES (1);' >"$TMP/insert.sql"
PGPASSWORD= pgbench -n -h "$RUN/pgsock" -p "$PG_PORT" -U postgres -c 64 -j 2 \
    -T 5 -f "$TMP/insert.sql" isys >"$TMP/pgbench.txt" 2>&1
INSERT_TPS=$(awk '/^tps = / {printf "%.0f", $3; exit}' "$TMP/pgbench.txt")
psql_db -c "DROP TABLE public.bench_insert"

# The codes on the teachers' screens, made now (they rotate).
python3 - "$TMP/session_token.tsv" "$(conf_value attendance.qr_secret)" \
    "$(conf_value attendance.qr_rotate_seconds || true)" >"$TMP/requests.tsv" <<'PY'
import hashlib, hmac, json, sys, time
path, secret, rotate = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3] or 10)
window = int(time.time()) // rotate
codes = {}
for line in open(path):
    sid, token = line.rstrip("\n").split("\t")
    if sid not in codes:
        msg = "ISA1.%s.%d" % (sid, window)
        codes[sid] = msg + "." + hmac.new(secret, msg.encode(),
                                          hashlib.sha256).hexdigest()[:32]
    body = json.dumps({"code": codes[sid], "latitude": 45.75002,
                       "longitude": 126.63001, "accuracy": 20})
    print(token + "\t" + body)
PY

cat >"$TMP/burst.lua" <<'LUA'
-- Each wrk thread sends its share of the check-ins once, then stops.
local threads, counter = {}, 0
function setup(thread)
	thread:set("tid", counter)
	counter = counter + 1
	table.insert(threads, thread)
end
function init(args)
	local nthreads = tonumber(args[2])
	reqs, sent, got, errors = {}, 0, 0, 0
	local i = 0
	for line in io.lines(args[1]) do
		if i % nthreads == tid then
			local token, body = line:match("^([^\t]+)\t(.*)$")
			table.insert(reqs, wrk.format("POST", "/api/v1/attendance/checkin",
			    { ["Authorization"] = "Bearer " .. token,
			      ["Content-Type"] = "application/json",
			      ["X-Client-Type"] = "miniprogram" }, body))
		end
		i = i + 1
	end
end
function request()
	sent = sent + 1
	-- Past the end, repeat the first scan (idempotent) until the stop.
	return reqs[sent] or reqs[1]
end
function response(status, headers, body)
	got = got + 1
	if status ~= 200 then
		errors = errors + 1
		if errors < 3 then io.stderr:write(status .. " " .. body .. "\n") end
	end
	if got >= #reqs then wrk.thread:stop() end
end
function done(summary, latency, requests)
	local errs = 0
	for _, t in ipairs(threads) do errs = errs + t:get("errors") end
	io.write(string.format("BURST requests=%d duration_us=%d errors=%d " ..
	    "p50_us=%d p99_us=%d\n", summary.requests, summary.duration, errs,
	    latency:percentile(50), latency:percentile(99)))
end
LUA

echo "burst: $N check-ins over $CONNS connections..."
wrk -t2 -c"$CONNS" -d30s --latency -s "$TMP/burst.lua" "$BASE" -- \
    "$TMP/requests.tsv" 2 >"$TMP/burst.txt"
grep -E "Latency|Requests/sec|Non-2xx" "$TMP/burst.txt" || true
read -r DURATION_US ERRORS P50_US P99_US < <(sed -n \
    's/^BURST requests=[0-9]* duration_us=\([0-9]*\) errors=\([0-9]*\) p50_us=\([0-9]*\) p99_us=\([0-9]*\)$/\1 \2 \3 \4/p' \
    "$TMP/burst.txt")
read -r ROWS DISTINCT SPAN < <(psql_db -F ' ' -c "
    SELECT count(*), count(DISTINCT (r.student_id, r.session_id)),
        round(extract(epoch FROM max(r.checked_in_at) - min(r.checked_in_at))::numeric, 3)
    FROM attendance.records r
    JOIN attendance.class_sessions s ON s.id = r.session_id
    JOIN attendance.courses c ON c.id = s.course_id
    WHERE c.code LIKE 'BENCH-%'")

python3 - "$N" "$ROWS" "$DISTINCT" "$DURATION_US" "$P50_US" "$P99_US" \
    "$INSERT_TPS" "$HELLO_RPS" "$ERRORS" "$SPAN" <<'PY'
import sys
n, rows, distinct, dur, p50, p99, ins, hello, errors, span = sys.argv[1:]
n, rows, distinct = int(n), int(rows), int(distinct)
# wrk runs its whole -d even after the threads stopped: the burst's
# length is the span from the first to the last committed record.
rate = rows / max(float(span), 0.001)
print("committed %d of %d check-ins in %s s (first to last commit), "
      "%s error responses" % (rows, n, span, errors))
print("pgbench single-row insert, 64 clients: %s/s; nginx -> Kore hello: %s req/s"
      % (ins, hello))
print("checkins_per_s=%.0f p50_ms=%.2f p99_ms=%.2f lost=%d duplicated=%d "
      "insert_baseline_per_s=%s hello_rps=%s" % (rate, int(p50) / 1000,
      int(p99) / 1000, n - distinct, rows - distinct, ins, hello))
PY
