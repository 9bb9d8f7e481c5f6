#!/bin/sh
# Create a self-signed development certificate for localhost in DIR unless
# one exists. Usage: dev-cert.sh DIR [rsa|ecdsa]
set -eu

dir=${1:?usage: dev-cert.sh DIR [rsa|ecdsa]}
kind=${2:-rsa}

mkdir -p "$dir"
if [ -f "$dir/cert.pem" ] && [ -f "$dir/key.pem" ]; then
	exit 0
fi

case "$kind" in
rsa)	keyopt="-newkey rsa:2048" ;;
ecdsa)	keyopt="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1" ;;
*)	echo "dev-cert: unknown key type '$kind' (rsa or ecdsa)" >&2; exit 1 ;;
esac

# shellcheck disable=SC2086
openssl req -x509 $keyopt -nodes -days 825 -sha256 \
    -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null

# The key manager reads both files after it drops to the orgo user.
if id orgo >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	chown orgo "$dir/key.pem" "$dir/cert.pem"
fi
chmod 600 "$dir/key.pem"
echo "dev-cert: created $dir/cert.pem ($kind, CN=localhost)"
