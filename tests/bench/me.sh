#!/usr/bin/env bash
# Benchmark: GET /api/v1/auth/me through nginx next to the nginx -> Kore
# hello-world baseline, on the same machine in one run (loopback only,
# bounded: a few wrk runs of BENCH_SECONDS each). Then /me again while
# logins hash passwords in the background (direct to the auth service, past
# nginx's login rate limit), to show scrypt does not stall the workers.
#
# Usage: tests/bench/me.sh   (brings the dev stack up if it is not)
# Env:   BENCH_SECONDS (10), BENCH_CONNECTIONS (64), IS_HTTP_PORT (8080)
# Last line: me_rps=N hello_rps=N ratio=N p99_ms=N
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PORT=${IS_HTTP_PORT:-8080}
AUTH_PORT=$(( ${IS_PORT_BASE:-8100} + 1 ))
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-64}
BASE=http://127.0.0.1:$PORT
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

command -v wrk >/dev/null || "$ROOT/deploy/local.sh" deps
curl -fsS "$BASE/bench/hello" >/dev/null 2>&1 ||
    IS_BENCH_ROUTES=1 "$ROOT/deploy/local.sh" up

login() {
	curl -fsS -H 'Content-Type: application/json' \
	    -d "{\"account\":\"$1\",\"password\":\"${IS_DEMO_PASSWORD:-Demo@2026pass}\"}" \
	    "$BASE/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
TOKEN=$(login 2023S0001)

# wrk's summary -> "rps p99_ms"
parse() {
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
if non2xx:
    sys.stderr.write("warning: %s non-2xx responses\n" % non2xx.group(1))
print("%.0f %.2f" % (rps, float(m.group(1)) * scale))
PY
}

run_wrk() {	# name url [header]
	local out=$TMP/$1.txt
	if [ -n "${3:-}" ]; then
		wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "$3" "$2" >"$out"
	else
		wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$2" >"$out"
	fi
	parse "$out"
}

echo "warming up..."
wrk -t2 -c"$CONNS" -d2s -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/auth/me" >/dev/null
wrk -t2 -c"$CONNS" -d2s "$BASE/bench/hello" >/dev/null

read -r HELLO_RPS HELLO_P99 < <(run_wrk hello "$BASE/bench/hello")
echo "nginx -> Kore hello : ${HELLO_RPS} req/s  p99 ${HELLO_P99} ms"
read -r ME_RPS ME_P99 < <(run_wrk me "$BASE/api/v1/auth/me" "Authorization: Bearer $TOKEN")
echo "GET /me via nginx   : ${ME_RPS} req/s  p99 ${ME_P99} ms"

# /me while 4 clients log in continuously (scrypt in Kore task threads).
cat >"$TMP/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"account":"2023S0002","password":"${IS_DEMO_PASSWORD:-Demo@2026pass}"}'
LUA
wrk -t1 -c4 -d"$((SECS + 2))s" -s "$TMP/login.lua" \
    "http://127.0.0.1:$AUTH_PORT/api/v1/auth/login" >"$TMP/logins.txt" &
LOGIN_PID=$!
sleep 1
read -r BUSY_RPS BUSY_P99 < <(run_wrk busy "$BASE/api/v1/auth/me" "Authorization: Bearer $TOKEN")
wait "$LOGIN_PID"
LOGINS=$(python3 -c 'import re,sys; print(re.search(r"Requests/sec:\s+([\d.]+)", open(sys.argv[1]).read()).group(1))' "$TMP/logins.txt")
echo "GET /me during logins: ${BUSY_RPS} req/s  p99 ${BUSY_P99} ms  (logins/s: ${LOGINS})"

RATIO=$(python3 -c "print('%.2f' % ($ME_RPS / $HELLO_RPS))")
echo "me_rps=${ME_RPS} hello_rps=${HELLO_RPS} ratio=${RATIO} p99_ms=${ME_P99}"
