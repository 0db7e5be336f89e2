#!/bin/sh
# Container entry point: "service NAME" renders NAME's Kore configuration and
# runs it in the foreground on 0.0.0.0:$PORT; "deliverer" runs is-deliverer;
# "migrate" applies the migrations to $IS_DB_ADMIN_CONNINFO.
set -eu
case "${1:-}" in
service)
	name=$2
	sed -e "s#127.0.0.1 @PORT@#0.0.0.0 ${PORT:-8080}#" \
	    -e "s#@MODULE@#/opt/is/services/$name/$name.so#" \
	    -e "s#@WORKERS@#${WORKERS:-2}#" -e "s#@TASK_THREADS@#${TASK_THREADS:-2}#" \
	    -e "s#@BODY_MAX@#${BODY_MAX:-2200000}#" -e "s#@SECCOMP_TRACING@#no#" \
	    "/opt/is/conf/$name/$name.conf.in" >"/tmp/$name.conf"
	export IS_SERVICE_NAME="$name"
	exec kore -c "/tmp/$name.conf" -f -n -r
	;;
deliverer)
	exec /opt/is/services/messaging/is-deliverer
	;;
migrate)
	exec /opt/is/bin/migrate.sh "$IS_DB_ADMIN_CONNINFO"
	;;
*)
	echo "usage: service NAME | deliverer | migrate" >&2
	exit 2
	;;
esac
