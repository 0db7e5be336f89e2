#!/usr/bin/env bash
# Applies deploy/migrations/NNN_*.sql in order, each once, each in its own
# transaction, recording it in public.schema_migrations.
# Usage: deploy/migrate.sh "<libpq connection string>"
set -euo pipefail
conn=${1:?usage: migrate.sh CONNINFO}
dir=$(cd "$(dirname "$0")/migrations" && pwd)
psql_run=(psql -X -q -v ON_ERROR_STOP=1 "$conn")

"${psql_run[@]}" -c "CREATE TABLE IF NOT EXISTS public.schema_migrations (
	version text PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now())" 2>&1 | grep -v NOTICE || true

for file in "$dir"/[0-9][0-9][0-9]_*.sql; do
	version=$(basename "$file" .sql)
	# File names are ours (NNN_word.sql), never user input.
	[[ $version =~ ^[0-9]{3}_[a-z0-9_]+$ ]] || { echo "bad migration name $version"; exit 1; }
	done_already=$("${psql_run[@]}" -tA \
	    -c "SELECT count(*) FROM public.schema_migrations WHERE version = '$version'")
	[ "$done_already" = "1" ] && continue
	echo "migrate: applying $version"
	"${psql_run[@]}" --single-transaction -f "$file" \
	    -c "INSERT INTO public.schema_migrations (version) VALUES ('$version')"
done
