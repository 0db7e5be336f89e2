#!/usr/bin/env bash
# What operators scrape: every service's /metrics (on its own port, with
# metrics.token) passes `promtool check metrics` (Prometheus's own linter:
# names, units, types, help) and carries what an operator graphs first.
# Needs the test stack (ctest fixture) and Debian's prometheus package.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/deploy/services.sh"
CONF=${IS_TEST_CONFIG:?}
TOKEN=$(sed -n "s/^metrics\\.token *= *//p" "$CONF" | tail -1)
fail() { echo "FAIL: $*"; exit 1; }
for svc in "${IS_SERVICES[@]}"; do
	port=$((IS_PORT_BASE + IS_PORT_OFFSET[$svc]))
	text=$(curl -fsS -H "Authorization: Bearer $TOKEN" \
	    "http://127.0.0.1:$port/api/v1/$svc/metrics") ||
	    fail "$svc: /metrics did not answer"
	lint=$(printf '%s\n' "$text" | promtool check metrics 2>&1) ||
	    fail "$svc: promtool: $lint"
	for name in is_http_requests_total is_http_request_duration_seconds_bucket \
	    is_db_connections_in_use is_db_requests_waiting is_tasks_running \
	    is_tasks_waiting is_db_batch_items_count; do
		grep -q "^$name{" <<<"$text" || fail "$svc: no $name"
	done
	echo "ok - $svc: promtool check metrics is clean"
done
# The outbox backlog is messaging's (every 5 s).
port=$((IS_PORT_BASE + IS_PORT_OFFSET[messaging]))
curl -fsS -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$port/api/v1/messaging/metrics" |
    grep -q '^is_outbox_oldest_pending_age_seconds{' ||
    fail "messaging: no outbox backlog"
echo "ok - messaging: the outbox backlog is shown"
