#!/usr/bin/env bash
# Makes samples/pgsql-tls/postgres-tls.pcap: real PostgreSQL connections switching to TLS
# (SSLRequest answered 'S', then a TLS handshake) between psql and a throwaway cluster (initdb in a
# temp dir as the postgres user, trust auth, ssl=on with a self-signed certificate made here,
# 127.0.0.1:15433: a port pbx finds PostgreSQL on by content), captured with tcpdump on lo.
# Needs root, postgresql (initdb, pg_ctl, psql), openssl, tcpdump (Debian packages).
# One connection each (hostaddr 127.0.0.1, host "localhost" so libpq sends it as SNI):
#   1. sslmode=require, TLS 1.3 (the default): SELECT version-free constants
#   2. sslmode=require, ssl_max_protocol_version=TLSv1.2: a TLS 1.2 session
#   3. sslmode=require, host given as the address 127.0.0.1 (libpq sends no SNI for an address)
# The queries themselves are encrypted (no key log: psql 15 cannot write one); pbx reports each
# connection as a TLS session with pbx's pgsql-to-TLS switch fields.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/pgsql-tls/postgres-tls.pcap}
mkdir -p "$(dirname "$out")"
port=15433
work=$(mktemp -d)
tcpdump_pid=
trap 'runuser -u postgres -- pg_ctl -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; kill $tcpdump_pid 2>/dev/null || true; rm -rf "$work"' EXIT
chown postgres "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
  -subj "/CN=localhost/O=pbx sample" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$work/server.key" -out "$work/server.crt" 2>/dev/null
chown postgres "$work/server.key" "$work/server.crt"
chmod 600 "$work/server.key"
runuser -u postgres -- initdb -D "$work/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- pg_ctl -D "$work/data" -l "$work/server.log" -w start -o \
  "-p $port -k $work -c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=$work/server.crt -c ssl_key_file=$work/server.key -c fsync=off" >/dev/null
tcpdump -i lo -w "$out" -U -s 0 "host 127.0.0.1 and tcp port $port" 2>/dev/null &
tcpdump_pid=$!
sleep 1
base="port=$port user=postgres dbname=postgres application_name=pbx-sample sslmode=require"
sql() { psql -X -q -v ON_ERROR_STOP=0 "$@" >/dev/null 2>&1 || true; sleep 0.3; }
sql "$base hostaddr=127.0.0.1 host=localhost" -c 'SELECT 1 AS one' -c "SELECT 'tls' AS how"
sql "$base hostaddr=127.0.0.1 host=localhost ssl_max_protocol_version=TLSv1.2" -c 'SELECT 2 AS two'
sql "$base host=127.0.0.1" -c 'SELECT 3 AS three'
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
