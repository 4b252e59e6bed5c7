#!/usr/bin/env bash
# Makes samples/tls/openssl.pcap: real TLS between openssl s_client / curl and a local openssl
# s_server (-www) on loopback (127.0.0.1:18443, a port pbx finds TLS on by content), captured with
# tcpdump. The self-signed RSA certificate (CN and SAN pbx.test) is made in a temp dir on each run.
# Needs root, openssl, curl, tcpdump (Debian packages).
# Exercises, one connection each, in order:
#   1. TLS 1.2, SNI pbx.test, ALPN http/1.1, certificate visible, a GET answered by -www
#   2. TLS 1.2 resumption of connection 1's session (s_client -sess_in, session ticket)
#   3. TLS 1.3, SNI pbx.test, ALPN h2 (certificate encrypted), a GET
#   4. TLS 1.3 resumption of connection 3's session (PSK from a NewSessionTicket)
#   5. curl -k --http1.1: TLS 1.3, SNI pbx.test, ALPN http/1.1, GET / (s_server -www speaks no h2)
#   6. failed handshake: a TLS 1.2 client offering only an ECDSA cipher suite to an RSA-only server
#      -> handshake_failure alert from the server
#   7. no SNI: TLS 1.2 to the bare IP address (SNI is not sent for IP literals)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/tls/openssl.pcap}
port=18443
work=$(mktemp -d)
server_pid=
tcpdump_pid=
trap 'kill $server_pid 2>/dev/null || true; kill $tcpdump_pid 2>/dev/null || true; rm -rf "$work"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 30 \
  -subj '/O=pbx sample/CN=pbx.test' -addext 'subjectAltName=DNS:pbx.test' 2>/dev/null
openssl s_server -quiet -accept 127.0.0.1:$port -cert "$work/cert.pem" -key "$work/key.pem" \
  -alpn h2,http/1.1 -www >/dev/null 2>&1 &
server_pid=$!
tcpdump -i lo -w "$out" -U -s 0 "host 127.0.0.1 and tcp port $port" 2>/dev/null &
tcpdump_pid=$!
sleep 1
get() { printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -connect 127.0.0.1:$port -ign_eof "$@" >/dev/null 2>&1 || true; sleep 0.2; }
get -tls1_2 -servername pbx.test -alpn http/1.1 -sess_out "$work/s12"
get -tls1_2 -servername pbx.test -alpn http/1.1 -sess_in "$work/s12"
get -tls1_3 -servername pbx.test -alpn h2 -sess_out "$work/s13"
get -tls1_3 -servername pbx.test -alpn h2 -sess_in "$work/s13"
curl -sk -m 5 --http1.1 -o /dev/null --resolve pbx.test:$port:127.0.0.1 "https://pbx.test:$port/" || true
sleep 0.2
get -tls1_2 -servername pbx.test -cipher ECDHE-ECDSA-AES128-GCM-SHA256
get -tls1_2 -noservername
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
