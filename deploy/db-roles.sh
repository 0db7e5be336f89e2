#!/usr/bin/env bash
# Creates the database roles and the database, as a superuser (or a role
# with CREATEROLE and CREATEDB). Run before deploy/migrate.sh.
#
#   is_migrator      owns the database and every schema; migrate.sh runs
#                    as it. The services never use it.
#   is_<service>     one login role per service (deploy/services.sh), with
#                    rights on its own schema only, granted by migrate.sh.
#
# Passwords come from the environment (never the command line, which
# every local user can read): IS_DB_PASSWORD_MIGRATOR, IS_DB_PASSWORD_AUTH,
# IS_DB_PASSWORD_ATTENDANCE... (upper-case service name). An unset one
# leaves the role's password as it is.
#
# A database built when one role (IS_DB_LEGACY_OWNER, default isys_app)
# owned everything is adopted: what that role owns in DATABASE passes to
# is_migrator, and the role is dropped when it owns nothing elsewhere.
#
# Usage: deploy/db-roles.sh SUPERUSER_CONNINFO DATABASE
set -euo pipefail
conn=${1:?usage: db-roles.sh SUPERUSER_CONNINFO DATABASE}
db=${2:?usage: db-roles.sh SUPERUSER_CONNINFO DATABASE}
. "$(dirname "$0")/services.sh"
legacy=${IS_DB_LEGACY_OWNER:-isys_app}
[[ $db =~ ^[a-z_][a-z0-9_]*$ && $legacy =~ ^[a-z_][a-z0-9_]*$ ]] ||
    { echo "db-roles.sh: bad database or role name" >&2; exit 2; }
export PGOPTIONS='-c client_min_messages=warning'
# psql_super DATABASE ...: later keywords of a conninfo string win.
psql_super() { psql -X -q -v ON_ERROR_STOP=1 "$conn dbname=$1" "${@:2}"; }

# Creates role $1 (LOGIN) if missing, and sets its password when the
# environment variable named $2 is set (psql reads it: \getenv).
role() {
	IS_ROLE_PASSWORD=${!2:-} psql_super postgres -v role="$1" <<-'SQL'
	\getenv pw IS_ROLE_PASSWORD
	SELECT format('CREATE ROLE %I LOGIN', :'role')
	    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')
	\gexec
	SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'role', :'pw')
	    WHERE :'pw' <> ''
	\gexec
	SQL
}

role is_migrator IS_DB_PASSWORD_MIGRATOR
for svc in "${IS_SERVICES[@]}"; do
	role "is_$svc" "IS_DB_PASSWORD_${svc^^}"
done

psql_super postgres -v db="$db" <<-'SQL'
SELECT format('CREATE DATABASE %I OWNER is_migrator ENCODING ''UTF8''', :'db')
    WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db')
\gexec
SQL

# Adoption of a single-role database: ownership moves to the migrator.
psql_super "$db" -v legacy="$legacy" -v db="$db" <<-'SQL'
SELECT format('REASSIGN OWNED BY %I TO is_migrator', :'legacy'),
    format('DROP OWNED BY %I', :'legacy')
    WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'legacy')
\gexec
SELECT format('ALTER DATABASE %I OWNER TO is_migrator', :'db') \gexec
SQL
psql_super postgres -v legacy="$legacy" <<-'SQL'
SELECT format('DROP ROLE %I', :'legacy') WHERE EXISTS (SELECT 1 FROM pg_roles
    WHERE rolname = :'legacy') AND NOT EXISTS (SELECT 1 FROM pg_database d
    JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = :'legacy')
\gexec
SQL
