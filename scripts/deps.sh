#!/bin/sh
# Install what the build, the server and the tests need, and nothing that
# is already there. Safe to run again. Needs root (apt-get, useradd).
set -eu

cd "$(dirname "$0")/.."

PACKAGES="build-essential pkg-config kore libssl-dev openssl libpq-dev
postgresql postgresql-contrib libjwt-dev libjansson-dev libargon2-dev libunistring-dev libcmocka-dev
curl ca-certificates chromium wrk procps passwd util-linux
clang libclang-rt-dev"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if ! command -v node >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Workers and the key manager drop to this user (Kore's runas).
if ! id orgo >/dev/null 2>&1; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: system user 'orgo' is missing (run as root)" >&2
		exit 1
	fi
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin orgo
	echo "deps: created system user orgo"
fi

# npm packages for the integration, interop and browser tests.
if [ -f package-lock.json ]; then
	if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
		npm ci --no-audit --no-fund --loglevel=error
		touch node_modules
	fi
fi
