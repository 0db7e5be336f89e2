#!/usr/bin/env bash
# The whole IS System stack on one machine, on loopback, without Docker.
#
#   deploy/local.sh up       install packages, build, init PostgreSQL, migrate,
#                            seed demo data, start services + nginx (re-runnable)
#   deploy/local.sh down     stop everything (data is kept)
#   deploy/local.sh status   what runs, and the health of each service
#   deploy/local.sh deps     only install the Debian packages
#   deploy/local.sh build    only build (build/release)
#   deploy/local.sh rotate   rotate the logs now (also done by "up")
#   deploy/local.sh rotate-keys [--force|--retire]
#                            rotate the JWT signing key live, no restart
#                            (deploy/rotate-jwt-keys.sh on $RUN/keys)
#   deploy/local.sh rotate-data-key
#                            a new key seals personal data (profile);
#                            older values are sealed again in the background
#
# Settings (environment): IS_INSTANCE (default "dev": state lives in
# .run/$IS_INSTANCE), IS_HTTP_PORT (nginx, 8080), IS_PORT_BASE (services
# use base+1..base+5, 8100), IS_PG_PORT (55432), IS_WORKERS (Kore workers per
# service, 2), IS_BENCH_ROUTES (1: route /bench/hello for tests/bench, 0).
# Runs as root; PostgreSQL and the services run as user "isys".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
INSTANCE=${IS_INSTANCE:-dev}
RUN=$ROOT/.run/$INSTANCE
HTTP_PORT=${IS_HTTP_PORT:-8080}
PORT_BASE=${IS_PORT_BASE:-8100}
PG_PORT=${IS_PG_PORT:-55432}
WORKERS=${IS_WORKERS:-2}
# IS_SANITIZE=1: services built with ASan + UBSan (their reports go to
# $RUN/logs/sanitizer.*; "down" fails when there are any).
SANITIZE=${IS_SANITIZE:-0}
if [ "$SANITIZE" = 1 ]; then
	BUILD=${IS_BUILD_DIR:-$ROOT/build/sanitize}
	BUILD_TYPE=Sanitize
else
	BUILD=${IS_BUILD_DIR:-$ROOT/build/release}
	BUILD_TYPE=Release
fi
. "$ROOT/deploy/services.sh"
SERVICES=("${IS_SERVICES[@]}")
RUN_USER=isys
PG_BIN=/usr/lib/postgresql/15/bin

PACKAGES=(build-essential cmake pkg-config kore libjwt-dev libcjson-dev
	libcurl4-openssl-dev libssl-dev libpq-dev libcsv-dev libxml2-dev libqrencode-dev libmagic-dev
	libcmocka-dev postgresql-15 postgresql-client-15 nginx-light wrk curl
	openssl python3 python3-yaml python3-jsonschema ca-certificates acl
	prometheus)

log() { printf '[local.sh] %s\n' "$*"; }
# Run as the unprivileged user from /, whatever the caller's directory.
as_user() { (cd / && runuser -u "$RUN_USER" -- "$@"); }
# Start a long-running process as that user, in the background, with its
# own pid in $RUN/NAME.pid (setpriv execs: no intermediate process).
spawn_user() {
	local name=$1
	shift
	(cd / && exec setpriv --reuid="$RUN_USER" --regid="$RUN_USER" \
	    --init-groups -- env PATH=/usr/bin:/bin:/usr/sbin:/sbin HOME=/ \
	    "$@") >>"$RUN/logs/$name.log" 2>&1 &
	echo $! >"$RUN/$name.pid"
}

service_port() {
	echo $((PORT_BASE + IS_PORT_OFFSET[$1]))
}

deps() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	# Node for the contract's tools (lint, the docs page, the TypeScript
	# client): Debian's, unless a node with npm is there already.
	if ! command -v npm >/dev/null 2>&1; then
		log "installing: nodejs npm"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
	fi
	contract_tools
	# Debian starts a system nginx on :80 at install; ours runs separately.
	id -u "$RUN_USER" >/dev/null 2>&1 ||
	    useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_USER"
	grant_traversal
}

# The npm packages of tools/contract, as its package-lock.json pins them;
# installed again only when the lock file changes.
contract_tools() {
	local dir=$ROOT/tools/contract stamp
	stamp=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
	[ "$(cat "$dir/node_modules/.is-stamp" 2>/dev/null)" = "$stamp" ] &&
	    return 0
	log "installing the contract tools (npm ci)"
	(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	echo "$stamp" >"$dir/node_modules/.is-stamp"
}

# The services and PostgreSQL run as $RUN_USER and must reach the checkout
# (modules, configs, .run/). If a parent folder is private (a mktemp -d, a
# home directory), grant that user search permission on it, and only that.
grant_traversal() {
	local dir=$ROOT
	as_user test -x "$ROOT" -a -r "$ROOT/deploy/local.sh" && return 0
	while [ "$dir" != / ]; do
		if ! as_user test -x "$dir"; then
			log "granting $RUN_USER search permission on $dir"
			setfacl -m "u:$RUN_USER:x" "$dir"
		fi
		dir=$(dirname "$dir")
	done
	as_user test -r "$ROOT/deploy/local.sh" ||
	    { log "$RUN_USER cannot read $ROOT"; exit 1; }
}

build() {
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
	    -DIS_BUILD_TESTS=OFF >/dev/null
	cmake --build "$BUILD" -j"$(nproc)" >/dev/null
	# The contract as a page, served by nginx at /api/docs.
	"$ROOT/tools/contract/build-docs.sh" "$RUN/docs"
}

# Secrets and keys are generated once per instance and kept in $RUN.
secrets() {
	install -d -m 755 "$RUN"
	install -d -o "$RUN_USER" -m 700 "$RUN/keys"
	# Documents uploaded to the profile service (profile.storage_root).
	install -d -o "$RUN_USER" -m 700 "$RUN/documents"
	if [ ! -f "$RUN/keys/jwt-private.pem" ]; then
		openssl ecparam -name prime256v1 -genkey -noout \
		    -out "$RUN/keys/jwt-private.pem" 2>/dev/null
		openssl ec -in "$RUN/keys/jwt-private.pem" -pubout \
		    -out "$RUN/keys/jwt-public.pem" 2>/dev/null
		chown "$RUN_USER" "$RUN/keys/"*.pem
		chmod 600 "$RUN/keys/jwt-private.pem"
	fi
	# One database password per role; instances made before the roles
	# were split get theirs added.
	local name
	(umask 077 && touch "$RUN/secrets.env")
	for name in TOKEN_SECRET QR_SECRET WECHAT_SECRET WECHAT_MP_SECRET \
	    WECHAT_CALLBACK_TOKEN SMS_API_KEY METRICS_TOKEN DB_PASSWORD_MIGRATOR \
	    PROFILE_DATA_KEY PROFILE_LOOKUP_KEY \
	    $(printf 'DB_PASSWORD_%s ' "${SERVICES[@]^^}"); do
		grep -q "^$name=" "$RUN/secrets.env" ||
		    echo "$name=$(openssl rand -hex 32)" >>"$RUN/secrets.env"
	done
	# The file is the truth: a PROFILE_DATA_KEYS of the environment (a
	# compose setting) must not stand in for this instance's keys.
	unset PROFILE_DATA_KEYS
	# shellcheck disable=SC1091
	. "$RUN/secrets.env"
	# The keys sealing personal data, newest first ("rotate-data-key").
	if [ -z "${PROFILE_DATA_KEYS:-}" ]; then
		PROFILE_DATA_KEYS=k1:$PROFILE_DATA_KEY
		echo "PROFILE_DATA_KEYS=$PROFILE_DATA_KEYS" >>"$RUN/secrets.env"
	fi
}

write_config() {
	local conf=$RUN/is.conf svc pw
	{
		cat "$ROOT/deploy/is.conf.defaults"
		echo
		echo "# --- generated by deploy/local.sh for instance $INSTANCE"
		# Each service connects as its own role (deploy/db-roles.sh).
		for svc in "${SERVICES[@]}"; do
			pw=DB_PASSWORD_${svc^^}
			echo "$svc.db_conninfo = host=127.0.0.1 port=$PG_PORT dbname=isys user=is_$svc password=${!pw} connect_timeout=5"
		done
		echo "jwt.private_key = $RUN/keys/jwt-private.pem"
		echo "jwt.public_key = $RUN/keys/jwt-public.pem"
		# Made by "rotate-keys"; until then there is none.
		echo "jwt.previous_public_key = $RUN/keys/jwt-previous-public.pem"
		echo "auth.token_secret = $TOKEN_SECRET"
		echo "attendance.qr_secret = $QR_SECRET"
		# Sealing personal data: the first key seals, every listed one
		# opens (a new key goes first; the old stays until re-sealed).
		echo "profile.data_keys = $PROFILE_DATA_KEYS"
		echo "profile.lookup_key = $PROFILE_LOOKUP_KEY"
		echo "profile.storage_root = $RUN/documents"
		# What this instance's fake WeChat and SMS gateway expect.
		echo "wechat.secret = $WECHAT_SECRET"
		echo "wechat.mp_secret = $WECHAT_MP_SECRET"
		echo "wechat.callback_token = ${WECHAT_CALLBACK_TOKEN:0:32}"
		echo "sms.api_key = $SMS_API_KEY"
		echo "metrics.token = $METRICS_TOKEN"
		# What was sent, readable by admins: this stack only.
		echo "messaging.dev_sink = 1"
		echo "demo.password = ${IS_DEMO_PASSWORD:-Demo@2026pass}"
		echo "wechat.api_base = ${IS_WECHAT_API_BASE:-http://127.0.0.1:$((PORT_BASE + 90))}"
		echo "bench.routes = ${IS_BENCH_ROUTES:-0}"
	} >"$conf.tmp"
	install -o "$RUN_USER" -m 600 "$conf.tmp" "$conf"
	rm -f "$conf.tmp"
}

pg_running() {
	as_user "$PG_BIN/pg_ctl" -D "$RUN/pgdata" status >/dev/null 2>&1
}

postgres_up() {
	install -d -o "$RUN_USER" -m 700 "$RUN/pgsock"
	install -d -o "$RUN_USER" -m 755 "$RUN/logs"
	if [ ! -f "$RUN/pgdata/PG_VERSION" ]; then
		log "initialising PostgreSQL in $RUN/pgdata"
		install -d -o "$RUN_USER" -m 700 "$RUN/pgdata"
		as_user "$PG_BIN/initdb" -D "$RUN/pgdata" -U postgres -E UTF8 \
		    --locale=C.UTF-8 --auth-local=trust \
		    --auth-host=scram-sha-256 >/dev/null
		cat >>"$RUN/pgdata/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		port = $PG_PORT
		unix_socket_directories = '$RUN/pgsock'
		max_connections = 200
		shared_buffers = 256MB
		synchronous_commit = on
		EOF
	fi
	if ! pg_running; then
		as_user "$PG_BIN/pg_ctl" -D "$RUN/pgdata" -l "$RUN/logs/postgres.log" \
		    -w -t 60 start >/dev/null
	fi
	# The roles and the database as the superuser, then the schema as
	# the migrator (over the socket, which this cluster trusts). The
	# passwords go by the environment, out of sight of ps.
	local svc pw
	(
		for svc in MIGRATOR "${SERVICES[@]^^}"; do
			pw=DB_PASSWORD_$svc
			export "IS_DB_PASSWORD_$svc=${!pw}"
		done
		as_user "$ROOT/deploy/db-roles.sh" \
		    "host=$RUN/pgsock port=$PG_PORT user=postgres" isys
	)
	as_user "$ROOT/deploy/migrate.sh" \
	    "host=$RUN/pgsock port=$PG_PORT dbname=isys user=is_migrator"
}

render_kore_conf() {
	local svc=$1 port body_max=65536 tasks=1
	port=$(service_port "$svc")
	# auth: hashing runs on all task threads but one at a time (task.h).
	[ "$svc" = auth ] && body_max=2200000 && tasks=3
	[ "$svc" = attendance ] && body_max=5300000
	# profile: documents of up to 5 MiB, typed and stored in tasks.
	[ "$svc" = profile ] && body_max=5300000 && tasks=2
	# messaging: a notice to a list of up to 5,000 student IDs.
	[ "$svc" = messaging ] && body_max=262144
	sed -e "s#@PORT@#$port#g" -e "s#@MODULE@#$BUILD/services/$svc/$svc.so#g" \
	    -e "s#@WORKERS@#$WORKERS#g" -e "s#@RUN@#$RUN#g" \
	    -e "s#@BODY_MAX@#$body_max#g" -e "s#@SECCOMP_TRACING@#${IS_SECCOMP_TRACING:-no}#g" -e "s#@TASK_THREADS@#$tasks#g" \
	    -e "s/@BENCH@/$([ "${IS_BENCH_ROUTES:-0}" = 1 ] || echo '# ')/g" \
	    "$ROOT/services/$svc/$svc.conf.in" >"$RUN/$svc.conf"
}

# Stops the processes named by these pid files: all are asked at once and
# get 5 s in all; any still there is then killed, with its children.
stop_pidfiles() {
	local f pid alive pids=()
	for f in "$@"; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null || true)
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
		rm -f "$f"
	done
	for _ in $(seq 50); do
		alive=0
		for pid in ${pids[@]+"${pids[@]}"}; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ "$alive" = 1 ] || break
		sleep 0.1
	done
	for pid in ${pids[@]+"${pids[@]}"}; do
		# A Kore parent still there waits for a worker that hangs: the
		# workers go first, or they would outlive it holding the port.
		if kill -0 "$pid" 2>/dev/null; then
			pkill -KILL -P "$pid" 2>/dev/null || true
			kill -9 "$pid" 2>/dev/null || true
		fi
	done
}

services_down() {
	local svc files=()
	for svc in "${SERVICES[@]}"; do
		files+=("$RUN/$svc.pid")
	done
	stop_pidfiles "${files[@]}" "$RUN/deliverer.pid" "$RUN/fake_wechat.pid"
}

conf_value() {
	grep -E "^$1 *=" "$RUN/is.conf" | tail -n 1 | cut -d= -f2- | sed 's/^ *//'
}

# WeChat's servers are unreachable from a development machine: unless
# IS_WECHAT_API_BASE names a real one, a local stand-in answers for them.
fake_wechat_up() {
	[ -n "${IS_WECHAT_API_BASE:-}" ] && return 0
	spawn_user fake_wechat python3 "$ROOT/tests/fakes/fake_wechat.py" \
	    --port $((PORT_BASE + 90)) \
	    --callback "http://127.0.0.1:$HTTP_PORT/api/v1/auth/wechat/callback" \
	    --token "$(conf_value wechat.callback_token)" \
	    --appid "$(conf_value wechat.appid)" --secret "$(conf_value wechat.secret)" \
	    --mp-appid "$(conf_value wechat.mp_appid)" \
	    --mp-secret "$(conf_value wechat.mp_secret)"
}

# The environment the services run in: the ASan runtime preloaded for the
# modules when sanitizing (Kore itself is not instrumented). Leak checks
# need ptrace, which Kore's seccomp filter forbids in the workers: off.
sanitizer_env() {
	[ "$SANITIZE" = 1 ] || return 0
	printf '%s\n' "LD_PRELOAD=$(gcc -print-file-name=libasan.so)" \
	    "ASAN_OPTIONS=detect_leaks=0:symbolize=0:log_path=$RUN/logs/sanitizer" \
	    "UBSAN_OPTIONS=print_stacktrace=1:symbolize=0:log_path=$RUN/logs/sanitizer"
}

# Kore stays in the foreground (-f) with the recorded pid; -n/-r: it
# already runs unprivileged, so no chroot or privilege drop.
service_up() {
	local svc=$1 sanitizer
	mapfile -t sanitizer < <(sanitizer_env)
	render_kore_conf "$svc"
	spawn_user "$svc" env IS_CONFIG="$RUN/is.conf" \
	    IS_SERVICE_NAME="$svc" ${sanitizer[@]+"${sanitizer[@]}"} stdbuf -oL -eL \
	    kore -c "$RUN/$svc.conf" -f -n -r
}

services_up() {
	local svc sanitizer
	[ "$SANITIZE" = 1 ] && rm -f "$RUN"/logs/sanitizer.*
	install -d -o "$RUN_USER" -m 755 "$RUN/logs"
	chown "$RUN_USER" "$RUN"
	for svc in "${SERVICES[@]}"; do
		service_up "$svc"
	done
	mapfile -t sanitizer < <(sanitizer_env)
	spawn_user deliverer env IS_CONFIG="$RUN/is.conf" \
	    ${sanitizer[@]+"${sanitizer[@]}"} "$BUILD/services/messaging/is-deliverer"
	fake_wechat_up
}

nginx_up() {
	local up="" svc
	install -d -m 755 "$RUN/nginx" "$RUN/nginx/tmp"
	for svc in "${SERVICES[@]}"; do
		up+="upstream is_$svc { server 127.0.0.1:$(service_port "$svc"); keepalive 64; }"$'\n'
	done
	sed -e "s#@HTTP_PORT@#$HTTP_PORT#g" -e "s#@RUN@#$RUN#g" \
	    -e "s#@USER@#$RUN_USER#g" -e "s#@ROOT@#$ROOT#g" \
	    -e "s#@LOGIN_RATE@#${IS_NGINX_LOGIN_RATE:-10r/s}#g" \
	    -e "s#@CODES_RATE@#${IS_NGINX_CODES_RATE:-1r/s}#g" \
	    -e "s#@CODES_BURST@#${IS_NGINX_CODES_BURST:-5}#g" \
	    -e "s#@WECHAT_RATE@#${IS_NGINX_WECHAT_RATE:-20r/s}#g" \
	    -e "s#@WECHAT_BURST@#${IS_NGINX_WECHAT_BURST:-200}#g" \
	    -e "s/@BENCH@/$([ "${IS_BENCH_ROUTES:-0}" = 1 ] || echo '# ')/g" \
	    "$ROOT/deploy/nginx/nginx.conf.in" >"$RUN/nginx/nginx.conf"
	printf '%s' "$up" >"$RUN/nginx/upstreams.conf"
	cp "$ROOT/deploy/nginx/upstream-errors.conf" "$RUN/nginx/upstream-errors.conf"
	nginx -t -q -c "$RUN/nginx/nginx.conf" -p "$RUN/nginx/"
	if [ -f "$RUN/nginx/nginx.pid" ] && kill -0 "$(cat "$RUN/nginx/nginx.pid")" 2>/dev/null; then
		nginx -c "$RUN/nginx/nginx.conf" -p "$RUN/nginx/" -s reload
	else
		nginx -c "$RUN/nginx/nginx.conf" -p "$RUN/nginx/"
	fi
}

# Logs hold request details: 0640. Each one larger than IS_LOG_ROTATE_MB
# (50; 0: any) is copied to .1 and emptied in place, so nginx and the
# services write on without a reopen (PostgreSQL's own log is left to it).
rotate_logs() {
	local f max=$((${IS_LOG_ROTATE_MB:-50} * 1024 * 1024))
	install -d -m 755 "$RUN/nginx"
	install -d -o "$RUN_USER" -m 755 "$RUN/logs"
	for f in nginx/access.log nginx/error.log \
	    $(printf 'logs/%s.log ' "${SERVICES[@]}"); do
		[ -f "$RUN/$f" ] || install -m 640 /dev/null "$RUN/$f"
		chmod 640 "$RUN/$f"
		if [ "$(stat -c %s "$RUN/$f")" -gt "$max" ]; then
			cp -p "$RUN/$f" "$RUN/$f.1"
			: >"$RUN/$f"
		fi
	done
	[ -f "$RUN/logs/postgres.log" ] && chmod 640 "$RUN/logs/postgres.log"
	return 0
}

# The services look at the key files every second: rotating needs no
# restart. Services started from an is.conf that names no previous key
# would refuse the old key's tokens at once: "up" first.
rotate_keys() {
	if [ ! -f "$RUN/keys/jwt-private.pem" ] || [ ! -f "$RUN/is.conf" ]; then
		log "no keys in $RUN/keys: deploy/local.sh up first"
		exit 1
	fi
	if ! grep -q '^jwt.previous_public_key *=' "$RUN/is.conf"; then
		log "$RUN/is.conf names no jwt.previous_public_key: deploy/local.sh up first"
		exit 1
	fi
	"$ROOT/deploy/rotate-jwt-keys.sh" --alg "$(conf_value jwt.alg)" \
	    --ttl "$(conf_value jwt.access_ttl)" "$@" "$RUN/keys"
}

# A new key seals personal data from now on; the older ones still open
# what they sealed, which the profile service seals again under the new
# key by itself (services/profile/reseal.c). Restarts the profile service.
rotate_data_key() {
	local n
	if [ ! -f "$RUN/secrets.env" ] || [ ! -f "$RUN/is.conf" ]; then
		log "no instance in $RUN: deploy/local.sh up first"
		exit 1
	fi
	secrets
	# At most 8 keys (libcommon seal.h): drop old ones first, once the
	# service logged that nothing is sealed under them any more.
	if [ "$(tr ',' '\n' <<<"$PROFILE_DATA_KEYS" | wc -l)" -ge 8 ]; then
		log "8 data keys already: remove the oldest from PROFILE_DATA_KEYS in $RUN/secrets.env first"
		exit 1
	fi
	n=$(tr ',' '\n' <<<"$PROFILE_DATA_KEYS" | sed -n 's/^k\([0-9]*\):.*/\1/p' |
	    sort -n | tail -n 1)
	PROFILE_DATA_KEYS=k$((n + 1)):$(openssl rand -hex 32),$PROFILE_DATA_KEYS
	sed -i "s/^PROFILE_DATA_KEYS=.*/PROFILE_DATA_KEYS=$PROFILE_DATA_KEYS/" \
	    "$RUN/secrets.env"
	# Never a key only is.conf knows: the next "up" rewrites it.
	grep -qx "PROFILE_DATA_KEYS=$PROFILE_DATA_KEYS" "$RUN/secrets.env" ||
	    { log "$RUN/secrets.env did not take the new key"; exit 1; }
	write_config
	stop_pidfiles "$RUN/profile.pid"
	service_up profile
	local SERVICES=(profile)	# wait_healthy: for this one only
	wait_healthy
	log "profile data now sealed under k$((n + 1)); older values are sealed again in the background"
}

wait_healthy() {
	local svc deadline=$((SECONDS + 60))
	for svc in "${SERVICES[@]}"; do
		until curl -fsS "http://127.0.0.1:$HTTP_PORT/api/v1/$svc/healthz" >/dev/null 2>&1; do
			if [ $SECONDS -gt $deadline ]; then
				log "$svc did not become healthy; last log lines:"
				tail -n 20 "$RUN/logs/$svc.log" || true
				return 1
			fi
			sleep 0.2
		done
	done
}

up() {
	deps
	log "building"
	build
	secrets
	write_config
	postgres_up
	log "loading demo data (once: an existing database is left as it is)"
	as_user env IS_CONFIG="$RUN/is.conf" "$BUILD/services/auth/is-admin" seed-demo >/dev/null
	services_down
	rotate_logs
	services_up
	nginx_up
	wait_healthy
	cat <<-EOF

	IS System is up: http://127.0.0.1:$HTTP_PORT/api/v1/<service>/...
	  health:  curl http://127.0.0.1:$HTTP_PORT/api/v1/auth/healthz
	  login:   curl -H 'Content-Type: application/json' \\
	             -d '{"account":"2023S0001","password":"${IS_DEMO_PASSWORD:-Demo@2026pass}"}' \\
	             http://127.0.0.1:$HTTP_PORT/api/v1/auth/login
	Demo logins (password ${IS_DEMO_PASSWORD:-Demo@2026pass}):
	  students 2023S0001 2023S0002 2024S0003, teacher T0001, counsellor C0001,
	  secretary S0001, international office IO0001, finance F0001,
	  leader L0001, admin A0001
	  2025S0004 still has the initial password: $(grep '^auth.initial_password' "$RUN/is.conf" | cut -d= -f2 | tr -d ' ')
	Logs: $RUN/logs/   Stop: deploy/local.sh down
	EOF
}

down() {
	if [ -f "$RUN/nginx/nginx.pid" ]; then
		nginx -c "$RUN/nginx/nginx.conf" -p "$RUN/nginx/" -s quit 2>/dev/null || true
		for _ in $(seq 50); do
			[ -f "$RUN/nginx/nginx.pid" ] || break
			sleep 0.1
		done
	fi
	services_down
	if [ -f "$RUN/pgdata/PG_VERSION" ] && pg_running; then
		as_user "$PG_BIN/pg_ctl" -D "$RUN/pgdata" -m fast -w stop >/dev/null
	fi
	log "stopped instance $INSTANCE"
	if compgen -G "$RUN/logs/sanitizer.*" >/dev/null; then
		log "sanitizer reports:"
		cat "$RUN"/logs/sanitizer.*
		return 1
	fi
}

status() {
	local svc code
	if [ -f "$RUN/pgdata/PG_VERSION" ] && pg_running; then
		echo "postgresql  running (port $PG_PORT)"
	else
		echo "postgresql  stopped"
	fi
	for svc in "${SERVICES[@]}"; do
		code=$(curl -s -o /dev/null -w '%{http_code}' \
		    "http://127.0.0.1:$HTTP_PORT/api/v1/$svc/healthz" || true)
		printf '%-11s %s\n' "$svc" "$([ "$code" = 200 ] && echo healthy || echo "down ($code)")"
	done
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
deps) deps ;;
build) deps; build ;;
rotate) IS_LOG_ROTATE_MB=${IS_LOG_ROTATE_MB:-0} rotate_logs ;;
rotate-keys) shift; rotate_keys "$@" ;;
rotate-data-key) rotate_data_key ;;
*) echo "usage: $0 up|down|status|deps|build|rotate|rotate-keys|rotate-data-key" >&2; exit 2 ;;
esac
