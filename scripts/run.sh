#!/bin/sh
# Start the development server in the foreground at https://localhost:8443:
# a development certificate, a project-local PostgreSQL under var/pg, and
# Kore with privilege-separated workers and key manager. Ctrl-C stops both.
set -eu

cd "$(dirname "$0")/.."

PG_PORT=${ORGO_DEV_PG_PORT:-54329}

if [ "$(id -u)" -ne 0 ]; then
	echo "run: start as root: Kore needs root to chroot and drop to the" \
	    "'orgo' user, and PostgreSQL runs as 'postgres'" >&2
	exit 1
fi

scripts/dev-cert.sh var/tls rsa
# The master key seals the token signing keys stored in PostgreSQL.
if [ ! -f var/master.key ]; then
	(umask 077 && openssl rand -hex 32 > var/master.key)
	echo "run: created var/master.key (keep it: it opens the signing keys)"
fi
mkdir -p var/chroot
chmod 755 var/chroot

scripts/pg.sh start var/pg "$PG_PORT"
stop_pg() {
	scripts/pg.sh stop var/pg || true
}
trap stop_pg EXIT INT TERM

if [ -z "${ORGO_DATABASE:-}" ]; then
	ORGO_DATABASE=$(cat var/pg/conninfo)
	export ORGO_DATABASE
fi

# Migrations run again inside the server; here they come first so that the
# first administrator can be created before the server starts.
build/orgoctl migrate >/dev/null
build/orgoctl bootstrap-admin --email "${ORGO_ADMIN_EMAIL:-admin@orgo.test}"

# Kore runs in the foreground, and stops its workers and key manager on
# SIGINT/SIGTERM; the trap then stops PostgreSQL.
# Argon2id's memory faults in as huge pages (see docs/production.md).
GLIBC_TUNABLES=glibc.malloc.hugetlb=1 build/kore -f -c kore.conf &
kore_pid=$!
trap 'kill -TERM $kore_pid 2>/dev/null || true' INT TERM
wait $kore_pid || true
wait $kore_pid 2>/dev/null || true
