#!/usr/bin/env bash
# The migrator. Each service owns its SQL under services/<name>/sql/:
#   schema/NNN_*.sql  append-only migrations: each is applied once, in its
#                     own transaction, and recorded with its SHA-256 in
#                     migrator.applied. An applied file that was edited or
#                     removed is refused, before anything is applied.
#   functions/*.sql   the service's SQL functions as source (CREATE OR
#                     REPLACE), re-applied on every run after the schema
#                     step, in one transaction with the service's grants. A
#                     function no longer in the source is dropped. A file
#                     publishes a function to another service with
#                     GRANT EXECUTE ... TO is_<that service>.
# Services are walked in the order deploy/services.sh declares. Each role
# is_<service> gets rights on its own schema only, plus EXECUTE (and
# USAGE on the schema) for the functions published to it.
#
# A database built by the single-sequence migrations of commit fe869ae
# (public.schema_migrations, 001-013) is adopted: its tables are each
# service's 001_baseline.sql, recorded as applied without running them.
#
# Usage: deploy/migrate.sh CONNINFO    (connecting as is_migrator, which
#        owns the database: deploy/db-roles.sh creates it)
# Env:   IS_SQL_ROOT   the folder holding <service>/sql (default services/)
set -euo pipefail
conn=${1:?usage: migrate.sh CONNINFO}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/services.sh"
root=${IS_SQL_ROOT:-$here/../services}
# Paths go into psql scripts (\i '...'): plain characters only.
[[ $root =~ ^[A-Za-z0-9/._-]+$ ]] || { echo "migrate: unusable path $root" >&2; exit 2; }
export PGOPTIONS='-c client_min_messages=warning'
psql_run() { psql -X -q -v ON_ERROR_STOP=1 "$conn" "$@"; }
psql_value() { psql -X -q -At -v ON_ERROR_STOP=1 "$conn" "$@"; }
die() { echo "migrate: $*" >&2; exit 1; }
# Every transaction takes this first: two migrators run one after the other.
LOCK="SELECT pg_advisory_xact_lock(hashtext('is-migrate')) \\g /dev/null"

# The last migration of the single-sequence layout, and all before it.
LEGACY=(001_schemas 002_messaging_outbox 003_auth 004_auth_passwords_codes
	005_auth_wechat 006_auth_scopes 007_attendance 008_attendance_timetable
	009_attendance_checkin 010_attendance_rates 011_attendance_checkin_batch
	012_attendance_rates_fast 013_attendance_warnings_sweep)
LEGACY_ADOPTS=(auth messaging attendance)

roles=()
for svc in "${IS_SERVICES[@]}"; do
	[[ $svc =~ ^[a-z]+$ ]] || die "bad service name $svc"
	roles+=("is_$svc")
done
missing=$(psql_value -v roles="${roles[*]}" <<-'SQL'
	SELECT string_agg(r, ' ') FROM unnest(string_to_array(:'roles', ' ')) r
	WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)
	SQL
)
[ -z "$missing" ] || die "roles missing: $missing (deploy/db-roles.sh creates them)"

psql_run <<-'SQL'
	CREATE SCHEMA IF NOT EXISTS migrator;
	CREATE TABLE IF NOT EXISTS migrator.applied (
		service		text NOT NULL,
		version		text NOT NULL,
		checksum	text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
		applied_at	timestamptz NOT NULL DEFAULT now(),
		adopted		boolean NOT NULL DEFAULT false,
		PRIMARY KEY (service, version));
	SQL

checksum() { sha256sum "$1" | cut -d' ' -f1; }

# The schema files of a service, in order; their names are checked.
schema_files() {
	local dir=$root/$1/sql/schema f base prev=""
	[ -d "$dir" ] || return 0
	for f in "$dir"/*.sql; do
		[ -e "$f" ] || continue
		base=$(basename "$f" .sql)
		[[ $base =~ ^[0-9]{3}_[a-z0-9_]+$ ]] ||
		    die "$1: bad migration name $base.sql (NNN_words.sql)"
		[ "${base:0:3}" != "$prev" ] ||
		    die "$1: two migrations numbered $prev"
		prev=${base:0:3}
		echo "$f"
	done
}

# --- Adoption of a database built by the single-sequence migrations.
if [ "$(psql_value -c "SELECT to_regclass('public.schema_migrations') IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM migrator.applied)")" = t ]; then
	have=$(psql_value -c "SELECT string_agg(version, ' ' ORDER BY version)
	    FROM public.schema_migrations")
	[ "$have" = "${LEGACY[*]}" ] ||
	    die "this database was migrated by a version before commit fe869ae" \
	        "(it has: $have); migrate it with that commit's deploy/migrate.sh first"
	{
		echo "BEGIN;"
		echo "$LOCK"
		for svc in "${LEGACY_ADOPTS[@]}"; do
			f=$root/$svc/sql/schema/001_baseline.sql
			[ -f "$f" ] || die "$svc: 001_baseline.sql is missing"
			echo "INSERT INTO migrator.applied (service, version, checksum, adopted)"
			echo "    VALUES ('$svc', '001_baseline', '$(checksum "$f")', true);"
		done
		echo "DROP TABLE public.schema_migrations;"
		echo "COMMIT;"
	} | psql_run
	echo "migrate: adopted a database of the single-sequence layout"
fi

# --- Refuse edited or removed applied migrations, before applying any.
declare -A pending=()
for svc in "${IS_SERVICES[@]}"; do
	declare -A files=()
	list=$(schema_files "$svc")	# exits on a bad name
	while read -r f; do
		[ -n "$f" ] && files[$(basename "$f" .sql)]=$f
	done <<<"$list"
	while IFS='|' read -r version sum; do
		[ -n "$version" ] || continue
		f=${files[$version]:-}
		[ -n "$f" ] ||
		    die "$svc: applied migration $version.sql is missing from" \
		        "$root/$svc/sql/schema (applied migrations are never removed)"
		[ "$(checksum "$f")" = "$sum" ] ||
		    die "$svc: $version.sql was edited after it was applied" \
		        "(applied migrations are never edited: add a new one)"
		unset "files[$version]"
	done < <(psql_value -F '|' -v svc="$svc" <<-'SQL'
		SELECT version, checksum FROM migrator.applied
		WHERE service = :'svc' ORDER BY version
		SQL
	)
	pending[$svc]=$(printf '%s\n' "${files[@]}" | sort)
	unset files
done

# Every function in schema $1 not (re)defined by this transaction: in the
# source no longer. CREATE OR REPLACE rewrites a function's catalogue row.
# (A GRANT does too: a file that grants a function no file defines fails
# on a fresh database, which the tests build.)
stale_sql() {
	cat <<-SQL
	DO \$\$
	DECLARE
		f regprocedure;
	BEGIN
		FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
		    WHERE p.pronamespace = '$1'::regnamespace AND p.prokind = 'f'
		    AND p.xmin <> xid(pg_current_xact_id())
		    AND NOT EXISTS (SELECT 1 FROM pg_depend d
			WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
			AND d.deptype = 'e') LOOP
			RAISE WARNING 'migrate: dropping %, no longer in the source', f;
			EXECUTE format('DROP FUNCTION %s', f);
		END LOOP;
	END \$\$;
	SQL
}

# The service's rights: its own schema, and USAGE on another schema only
# where a function there is published to it.
grants_sql() {
	local svc=$1 r others=()
	for r in "${roles[@]}"; do
		[ "$r" = "is_$svc" ] || others+=("$r")
	done
	cat <<-SQL
	REVOKE ALL ON ALL FUNCTIONS IN SCHEMA $svc FROM PUBLIC;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA $svc TO is_$svc;
	GRANT USAGE ON SCHEMA $svc TO is_$svc;
	REVOKE ALL ON ALL TABLES IN SCHEMA $svc FROM PUBLIC, $(IFS=,; echo "${others[*]}");
	GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA $svc TO is_$svc;
	REVOKE ALL ON ALL SEQUENCES IN SCHEMA $svc FROM PUBLIC, $(IFS=,; echo "${others[*]}");
	GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA $svc TO is_$svc;
	DO \$\$
	DECLARE
		r text;
	BEGIN
		FOREACH r IN ARRAY string_to_array('${others[*]}', ' ') LOOP
			IF EXISTS (SELECT 1 FROM pg_proc p
			    WHERE p.pronamespace = '$svc'::regnamespace
			    AND has_function_privilege(r, p.oid, 'EXECUTE')) THEN
				EXECUTE format('GRANT USAGE ON SCHEMA $svc TO %I', r);
			ELSE
				EXECUTE format('REVOKE ALL ON SCHEMA $svc FROM %I', r);
			END IF;
		END LOOP;
	END \$\$;
	SQL
}

for svc in "${IS_SERVICES[@]}"; do
	psql_run -c "CREATE SCHEMA IF NOT EXISTS $svc"
	while read -r f; do
		[ -n "$f" ] || continue
		version=$(basename "$f" .sql)
		echo "migrate: $svc: applying $version"
		{
			echo "BEGIN;"
			echo "$LOCK"
			echo "\\i '$f'"
			echo "INSERT INTO migrator.applied (service, version, checksum)"
			echo "    VALUES ('$svc', '$version', '$(checksum "$f")');"
			echo "COMMIT;"
		} | psql_run
	done <<<"${pending[$svc]}"

	# Functions and grants in one transaction: the services see the old
	# set or the new one. Pass 1 defines every function (bodies are not
	# checked, so files may use each other in any order); stale ones go;
	# grants are reset; pass 2 checks the bodies, now that every function
	# exists, and grants the publications again.
	files=()
	if [ -d "$root/$svc/sql/functions" ]; then
		while read -r f; do
			[[ $(basename "$f") =~ ^[a-z0-9_]+\.sql$ ]] ||
			    die "$svc: bad function file name $(basename "$f")"
			files+=("$f")
		done < <(find "$root/$svc/sql/functions" -name '*.sql' | sort)
	fi
	{
		echo "BEGIN;"
		echo "$LOCK"
		echo "SET LOCAL check_function_bodies = off;"
		for f in ${files[@]+"${files[@]}"}; do echo "\\i '$f'"; done
		stale_sql "$svc"
		echo "REVOKE ALL ON ALL FUNCTIONS IN SCHEMA $svc FROM PUBLIC, $(IFS=,; echo "${roles[*]}");"
		echo "SET LOCAL check_function_bodies = on;"
		for f in ${files[@]+"${files[@]}"}; do echo "\\i '$f'"; done
		grants_sql "$svc"
		echo "COMMIT;"
	} | psql_run
done
echo "migrate: done"
