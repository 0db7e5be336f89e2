#!/usr/bin/env bash
# Benchmark: a notice to STUDENTS students (20,000) fanned out -- an inbox
# letter each committed and an email each queued, in one request -- while
# students list their inboxes through nginx; next to the nginx -> Kore
# hello figure of the same run. The students (BFOnnnnnn, one school of
# their own, verified addresses) are loaded once and kept; each run's
# notice is removed afterwards with its copies, and its emails are never
# sent (marked dead at once). Loopback only, about half a minute.
#
# Usage: tests/bench/fanout.sh   (brings the dev stack up if needed)
# Env:   STUDENTS (20000), BENCH_SECONDS (10), IS_INSTANCE (dev),
#        IS_HTTP_PORT (8080), IS_PG_PORT (55432)
# Last line: fanout_s=N inbox_rps=N inbox_p99_ms=N hello_rps=N
set -euo pipefail
. "$(dirname "$0")/lib.sh"
STUDENTS=${STUDENTS:-20000}
SECS=${BENCH_SECONDS:-10}
READERS=2000		# students reading their inboxes meanwhile
SCHOOL="School of Fanout Bench"
bench_stack

LOADED=$(psql_db -c "SELECT count(*) FROM auth.accounts WHERE login LIKE 'BFO%'")
if [ "$LOADED" -ne "$STUDENTS" ]; then
	echo "loading $STUDENTS students..."
	{ echo "DELETE FROM auth.accounts WHERE login LIKE 'BFO%';"
	  students_sql BFO "$STUDENTS"
	  echo "UPDATE auth.accounts SET school = '$SCHOOL',
	      email = lower(login) || '@stu.hit.edu.cn',
	      email_verified_at = now() WHERE login LIKE 'BFO%';"; } |
	    psql_db >/dev/null
fi

# Tokens for the readers; each has a few letters in their inbox already.
psql_db -F $'\t' >"$TMP/claims.tsv" <<SQL
DELETE FROM auth.sessions s USING auth.accounts a
    WHERE a.id = s.account_id AND a.login LIKE 'BFO%';
INSERT INTO auth.sessions (account_id, client, expires_at)
SELECT id, 'web', now() + interval '1 hour' FROM auth.accounts
WHERE login LIKE 'BFO%' ORDER BY login LIMIT $READERS;
SELECT auth.claims(s.account_id, s.id) FROM auth.sessions s
JOIN auth.accounts a ON a.id = s.account_id AND a.login LIKE 'BFO%';
SQL
mint_tokens <"$TMP/claims.tsv" >"$TMP/tokens"
IO=$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"account\":\"IO0001\",\"password\":\"${IS_DEMO_PASSWORD:-Demo@2026pass}\"}" \
    "$BASE/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

cat >"$TMP/inbox.lua" <<'LUA'
local tokens, i = {}, 0
function init(args)
	for line in io.lines(args[1]) do table.insert(tokens, line) end
	i = math.random(#tokens)
end
function request()
	i = i % #tokens + 1
	return wrk.format("GET", "/api/v1/messaging/inbox?limit=20", {
	    ["Authorization"] = "Bearer " .. tokens[i] })
end
LUA

HELLO=$(hello_rps)
echo "nginx -> Kore hello: $HELLO req/s"

# Students read their inboxes for SECS seconds; after 2 s the notice goes.
wrk -t2 -c64 -d"${SECS}s" --latency -s "$TMP/inbox.lua" \
    "$BASE/api/v1/messaging/inbox" -- "$TMP/tokens" >"$TMP/inbox.txt" &
WRK=$!
sleep 2
curl -fsS -o "$TMP/notice.json" -w '%{time_total}\n' -H "Authorization: Bearer $IO" \
    -H 'Content-Type: application/json' -d "{\"kind\":\"important\",\
\"audience\":{\"type\":\"school\",\"value\":\"$SCHOOL\"},\"by_email\":true,\
\"subject_en\":\"Fan-out bench\",\"subject_zh\":\"群发测试\",\
\"body_en\":\"Dear {name}, this is a benchmark notice.\",\
\"body_zh\":\"{name}同学：这是一则测试通知。\"}" \
    "$BASE/api/v1/messaging/notices" >"$TMP/fanout_s"
NOTICE=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/notice.json")
# Not sent: the deliverer would otherwise mail 20,000 sink rows.
psql_db -c "UPDATE messaging.outbox SET status = 'dead', last_error = 'bench'
    WHERE notice_id = '$NOTICE' AND status IN ('pending', 'failed')" >/dev/null
wait "$WRK"
read -r INBOX_RPS _ INBOX_P99 INBOX_BAD < <(wrk_figures "$TMP/inbox.txt")
read -r LETTERS MAILS < <(psql_db -F ' ' -c "SELECT
    (SELECT count(*) FROM messaging.inbox WHERE notice_id = '$NOTICE'),
    (SELECT count(*) FROM messaging.outbox WHERE notice_id = '$NOTICE')")
# (what the deliverer sent before that went to the development sink)
psql_db -c "DELETE FROM messaging.dev_sink WHERE outbox_id IN (SELECT id
    FROM messaging.outbox WHERE notice_id = '$NOTICE');
    DELETE FROM messaging.notices WHERE id = '$NOTICE'" >/dev/null
FANOUT=$(cat "$TMP/fanout_s")
echo "notice to $LETTERS students ($MAILS emails queued) in ${FANOUT} s"
echo "inbox reads meanwhile: $INBOX_RPS req/s p99 $INBOX_P99 ms (non-2xx: $INBOX_BAD)"
[ "$LETTERS" -eq "$STUDENTS" ] && [ "$MAILS" -eq "$STUDENTS" ] ||
    { echo "the notice did not reach every student" >&2; exit 1; }
echo "fanout_s=${FANOUT} inbox_rps=${INBOX_RPS} inbox_p99_ms=${INBOX_P99} hello_rps=${HELLO}"
