#!/bin/sh
# Create a test CA and, signed by it, an RSA and an ECDSA P-256 server
# certificate for localhost, 127.0.0.1 and ::1. Usage: test-certs.sh DIR
set -eu

dir=${1:?usage: test-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"

openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
    -subj "/CN=Orgo test CA" -keyout ca.key -out ca.pem 2>/dev/null

for kind in rsa ecdsa; do
	case "$kind" in
	rsa)	keyopt="-newkey rsa:2048" ;;
	ecdsa)	keyopt="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1" ;;
	esac
	mkdir -p "$kind"
	# shellcheck disable=SC2086
	openssl req $keyopt -nodes -subj "/CN=localhost" \
	    -keyout "$kind/key.pem" -out "$kind/req.pem" 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' > ext.cnf
	openssl x509 -req -in "$kind/req.pem" -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 30 -sha256 -extfile ext.cnf \
	    -out "$kind/cert.pem" 2>/dev/null
	rm -f "$kind/req.pem"
done
rm -f ext.cnf
