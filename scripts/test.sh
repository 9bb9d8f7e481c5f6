#!/bin/sh
# Run every test: C unit tests, then the HTTPS integration, interop and
# browser tests under tests/ against real PostgreSQL and the real server.
#
#   scripts/test.sh                     all tests
#   scripts/test.sh --integration-only  skip the C unit tests
#   scripts/test.sh FILE...             only these node test files
set -eu

cd "$(dirname "$0")/.."
root=$(pwd)

unit=1
if [ "${1:-}" = --integration-only ]; then
	unit=0
	shift
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "test: run as root: the tests start Kore with privilege" \
	    "separation and PostgreSQL as the 'postgres' user" >&2
	exit 1
fi

unit_failed=0
fuzz_failed=0
if [ "$unit" = 1 ] && [ $# -eq 0 ]; then
	make -s unit || unit_failed=1
	# Each libFuzzer harness for 10 s (make fuzz runs them longer).
	make -s fuzz-ci || fuzz_failed=1
fi

# Each run has its own folder, so runs started side by side do not meet.
mkdir -p "$root/tests/.tmp"
chmod 755 "$root/tests/.tmp"
tmp=$(mktemp -d "$root/tests/.tmp/run-XXXXXX")
chmod 755 "$tmp"
export ORGO_TEST_TMP="$tmp"

# A test certificate authority that every Node client trusts through
# NODE_EXTRA_CA_CERTS, and server certificates for localhost it signs.
scripts/test-certs.sh "$tmp/certs"
export NODE_EXTRA_CA_CERTS="$tmp/certs/ca.pem"
(umask 077 && openssl rand -hex 32 > "$tmp/master.key")

# One throw-away PostgreSQL cluster; each test file creates its databases.
pg_port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
scripts/pg.sh start "$tmp/pg" "$pg_port" --fast
cleanup() {
	scripts/pg.sh stop "$tmp/pg" || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
export ORGO_TEST_ROOT="$root"
export ORGO_TEST_PG_DIR="$tmp/pg"

if [ $# -gt 0 ]; then
	files="$*"
else
	files=$(find tests/integration tests/browser tests/interop \
	    -name '*.test.js' 2>/dev/null | sort | tr '\n' ' ')
fi

node_failed=0
# shellcheck disable=SC2086
node --test --test-concurrency=2 --test-timeout=300000 $files || node_failed=1

if [ "$unit_failed" = 1 ]; then
	echo "test: C unit tests failed (see above)" >&2
fi
if [ "$fuzz_failed" = 1 ]; then
	echo "test: a fuzz harness failed (see above)" >&2
fi
[ "$unit_failed" = 0 ] && [ "$fuzz_failed" = 0 ] && [ "$node_failed" = 0 ]
