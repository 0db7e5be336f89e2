# Shared by the benchmark scripts (sourced, not run): where the stack is,
# SQL on its database, tokens minted for bench accounts, wrk figures.
# Env: IS_INSTANCE (dev), IS_HTTP_PORT (8080), IS_PG_PORT (55432),
#      IS_BUILD_DIR (build/release)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
INSTANCE=${IS_INSTANCE:-dev}
RUN=$ROOT/.run/$INSTANCE
PORT=${IS_HTTP_PORT:-8080}
PG_PORT=${IS_PG_PORT:-55432}
BASE=http://127.0.0.1:$PORT
TMP=$(mktemp -d)
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT

# Installs wrk, and brings the stack up (again) when it is not up with
# the benchmark's baseline route, /bench/hello.
bench_stack() {
	command -v wrk >/dev/null || "$ROOT/deploy/local.sh" deps
	curl -fsS "$BASE/bench/hello" >/dev/null 2>&1 ||
	    IS_BENCH_ROUTES=1 "$ROOT/deploy/local.sh" up
}

psql_db() {
	psql -X -q -At -v ON_ERROR_STOP=1 -h "$RUN/pgsock" -p "$PG_PORT" \
	    -U postgres -d isys "$@"
}

conf_value() {
	grep -E "^$1 *=" "$RUN/is.conf" | tail -n 1 | cut -d= -f2- | sed 's/^ *//'
}

# SQL adding students PREFIXnnnnnn 1..N (role student, no password), kept
# if they exist: bench accounts are told apart by their prefix.
students_sql() {
	cat <<SQL
INSERT INTO auth.accounts (login, kind, family_name, given_name, school,
    degree, cohort, password_hash, must_change_password)
SELECT '$1' || lpad(i::text, 6, '0'), 'student', 'BENCH', 'S' || i,
    'School of Computing', 'master', 2025, 'scrypt\$disabled', false
FROM generate_series(1, $2) i
ON CONFLICT DO NOTHING;
INSERT INTO auth.account_roles (account_id, role)
SELECT id, 'student' FROM auth.accounts WHERE login LIKE '$1%'
ON CONFLICT DO NOTHING;
SQL
}

# auth.claims() documents on stdin, one a line -> access tokens, one a line.
mint_tokens() {
	runuser -u isys -- env IS_CONFIG="$RUN/is.conf" \
	    "${IS_BUILD_DIR:-$ROOT/build/release}/services/auth/is-admin" \
	    mint-tokens
}

# wrk output file -> "requests_per_s p50_ms p99_ms non_2xx"
wrk_figures() {
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(pct):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)\s*$" % pct, text, re.M)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
print("%.0f %.2f %.2f %s" % (rps, ms(50), ms(99), bad.group(1) if bad else 0))
PY
}

# The nginx -> Kore hello-world rate on this machine now (req/s).
hello_rps() {
	wrk -t2 -c64 -d5s --latency "$BASE/bench/hello" >"$TMP/hello.txt"
	wrk_figures "$TMP/hello.txt" | cut -d' ' -f1
}
