#!/usr/bin/env bash
# Runs every test: unit tests (cmocka, ASan+UBSan) and integration tests
# against a fresh local stack (instance "test", started and stopped by ctest
# fixtures). Prints ctest's summary; exits non-zero on any failure.
#
#   tests/run.sh [--sanitize] [ctest options]
#   --sanitize  the stack's services run under ASan + UBSan too (slower);
#               any report they make fails the run (at stack.down)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ "${1:-}" = --sanitize ]; then
	export IS_SANITIZE=1
	shift
fi

deploy/local.sh deps
# A fresh database for every run: tests create their own data, and a clean
# cluster proves the migrations apply from zero.
IS_INSTANCE=test IS_HTTP_PORT=18080 IS_PORT_BASE=18100 IS_PG_PORT=55433 \
    deploy/local.sh down >/dev/null 2>&1 || true
rm -rf "$ROOT/.run/test"

cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Sanitize -DIS_BUILD_TESTS=ON >/dev/null
cmake --build build/test -j"$(nproc)" >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build/test
ctest --output-on-failure --timeout 900 "$@"
