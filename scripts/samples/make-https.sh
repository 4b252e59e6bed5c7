#!/usr/bin/env bash
# Makes samples/https/nginx.pcap + nginx.keylog (and nginx-dsb.pcapng, the same capture with the key
# log injected as a pcapng Decryption Secrets Block): real HTTPS between curl and a local nginx on
# loopback, captured with tcpdump, with curl writing the NSS key log (SSLKEYLOGFILE).
# Needs root (tcpdump), nginx, openssl, curl (built with OpenSSL), tcpdump, editcap (tshark package).
#
# Two nginx servers with one throwaway self-signed certificate (RSA 2048), 127.0.0.1 only:
#   $port      TLS 1.2 and 1.3, default OpenSSL options (so CBC suites negotiate encrypt_then_mac)
#   $port + 1  TLS 1.2 only, encrypt_then_mac disabled (CBC suites use MAC-then-encrypt)
# Exercised per suite: three requests on one keep-alive connection (a GET of a 40 kB file: several
# records per response; a POST with a body; a 404), then a second connection that resumes the TLS
# session (TLS 1.2 session ticket / TLS 1.3 PSK) because the first one was closed by the client.
set -euo pipefail
cd "$(dirname "$0")/../.."
outdir=${1:-samples/https}
mkdir -p "$outdir"
port=${PBX_HTTPS_PORT:-18443}
port2=$((port + 1))
for p in $port $port2; do
  if ss -ltn | grep -q ":$p "; then echo "port $p is in use (set PBX_HTTPS_PORT)" >&2; exit 1; fi
done
work=$(mktemp -d)
nginx_started=
tcpdump_pid=
cleanup() {
  if [ -n "$nginx_started" ]; then nginx -p "$work" -c "$work/nginx.conf" -s stop 2>/dev/null || true; fi
  if [ -n "$tcpdump_pid" ]; then kill "$tcpdump_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/html" "$work/logs"
chmod 755 "$work" "$work/html"  # the nginx workers (nobody) read the document root
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=pbx.test' \
  -addext 'subjectAltName=DNS:pbx.test' -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
echo 'hello over tls' > "$work/html/index.html"
head -c 40000 /dev/zero | tr '\0' 'a' > "$work/html/big.txt"
cat > "$work/nginx.conf" <<EOF
daemon on;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  keepalive_requests 100;
  ssl_certificate $work/cert.pem;
  ssl_certificate_key $work/key.pem;
  ssl_session_cache shared:pbx:1m;
  ssl_session_tickets on;
  ssl_prefer_server_ciphers off;
  ssl_ciphers ALL;
  server {
    listen 127.0.0.1:$port ssl;
    server_name pbx.test;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $work/html;
    location = /echo { return 200 "posted\n"; }
  }
  server {
    listen 127.0.0.1:$port2 ssl;
    server_name pbx.test;
    ssl_protocols TLSv1.2;
    ssl_conf_command Options -EncryptThenMac;
    root $work/html;
    location = /echo { return 200 "posted\n"; }
  }
}
EOF
nginx -p "$work" -c "$work/nginx.conf"
nginx_started=1
keylog="$outdir/nginx.keylog"
pcap="$outdir/nginx.pcap"
rm -f "$keylog"
tcpdump -i lo -w "$pcap" -U -s 0 "host 127.0.0.1 and (port $port or port $port2)" 2>/dev/null &
tcpdump_pid=$!
sleep 1
# c PORT TLSARGS...: one curl run = one keep-alive connection of three requests, then a resumed one.
c() {
  local p=$1; shift
  local u="https://pbx.test:$p"
  SSLKEYLOGFILE="$keylog" curl -sS -o /dev/null --resolve "pbx.test:$p:127.0.0.1" --cacert "$work/cert.pem" "$@" \
    "$u/big.txt" \
    --next --resolve "pbx.test:$p:127.0.0.1" --cacert "$work/cert.pem" "$@" -o /dev/null -d 'name=pbx&x=1' "$u/echo" \
    --next --resolve "pbx.test:$p:127.0.0.1" --cacert "$work/cert.pem" "$@" -o /dev/null -H 'Connection: close' "$u/missing" \
    --next --resolve "pbx.test:$p:127.0.0.1" --cacert "$work/cert.pem" "$@" -o /dev/null "$u/index.html"
}
t12=(--http1.1 --tlsv1.2 --tls-max 1.2)
c $port "${t12[@]}" --ciphers ECDHE-RSA-AES128-GCM-SHA256
c $port "${t12[@]}" --ciphers ECDHE-RSA-AES256-GCM-SHA384
c $port "${t12[@]}" --ciphers ECDHE-RSA-CHACHA20-POLY1305
c $port "${t12[@]}" --ciphers ECDHE-RSA-AES128-SHA256
c $port "${t12[@]}" --ciphers AES256-SHA
c $port2 "${t12[@]}" --ciphers ECDHE-RSA-AES256-SHA384
c $port2 "${t12[@]}" --ciphers ECDHE-RSA-AES128-SHA
t13=(--http1.1 --tlsv1.3)
c $port "${t13[@]}" --tls13-ciphers TLS_AES_128_GCM_SHA256
c $port "${t13[@]}" --tls13-ciphers TLS_AES_256_GCM_SHA384
c $port "${t13[@]}" --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256
sleep 1
kill "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
editcap --inject-secrets "tls,$keylog" "$pcap" "$outdir/nginx-dsb.pcapng"
echo "wrote $pcap, $keylog, $outdir/nginx-dsb.pcapng"
