# Shared by the database tests (sourced): the test stack's cluster, over
# its own socket as the superuser, and a scratch database per test,
# dropped at the end. Env (from ctest): IS_TEST_RUN, IS_PG_PORT.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=${IS_TEST_RUN:?IS_TEST_RUN names the test stack}
PG_PORT=${IS_PG_PORT:?IS_PG_PORT names the test stack}
SOCK=$RUN/pgsock
TMP=$(mktemp -d)
chmod 755 "$TMP"
export PGOPTIONS='-c client_min_messages=warning'

super() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PG_PORT" -U postgres "$@"; }
# as ROLE DB SQL: one statement as a role (the socket trusts local users).
as() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PG_PORT" -U "$1" -d "$2" -c "$3"; }
conninfo() { echo "host=$SOCK port=$PG_PORT dbname=$2 user=$1"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# A fresh database owned by the migrator, as deploy/db-roles.sh makes one.
fresh_db() {
	super -d postgres -c "DROP DATABASE IF EXISTS $1" \
	    -c "CREATE DATABASE $1 OWNER is_migrator"
}
