#!/bin/sh
# Container entry point: "service NAME" renders NAME's Kore configuration and
# runs it in the foreground on 0.0.0.0:$PORT; "deliverer" runs is-deliverer;
# "roles" creates the database roles as the superuser of
# $IS_DB_SUPERUSER_CONNINFO (passwords from IS_DB_PASSWORD_*), "migrate"
# applies every service's SQL as the migrator ($IS_DB_MIGRATOR_CONNINFO).
set -eu
case "${1:-}" in
service)
	name=$2
	sed -e "s#127.0.0.1 @PORT@#0.0.0.0 ${PORT:-8080}#" \
	    -e "s#@MODULE@#/opt/is/services/$name/$name.so#" \
	    -e "s#@WORKERS@#${WORKERS:-2}#" -e "s#@TASK_THREADS@#${TASK_THREADS:-2}#" \
	    -e "s#@BODY_MAX@#${BODY_MAX:-2200000}#" -e "s#@SECCOMP_TRACING@#no#" \
	    -e "s/@BENCH@/# /" \
	    "/opt/is/conf/$name/$name.conf.in" >"/tmp/$name.conf"
	export IS_SERVICE_NAME="$name"
	exec kore -c "/tmp/$name.conf" -f -n -r
	;;
deliverer)
	exec /opt/is/services/messaging/is-deliverer
	;;
roles)
	exec /opt/is/bin/db-roles.sh "$IS_DB_SUPERUSER_CONNINFO" isys
	;;
migrate)
	IS_SQL_ROOT=/opt/is/conf exec /opt/is/bin/migrate.sh \
	    "$IS_DB_MIGRATOR_CONNINFO"
	;;
*)
	echo "usage: service NAME | deliverer | roles | migrate" >&2
	exit 2
	;;
esac
