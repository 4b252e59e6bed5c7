#!/usr/bin/env bash
# Makes samples/dns/dnsmasq.pcap: real DNS traffic between dig and a local dnsmasq on loopback
# (127.0.0.1:5353, UDP and TCP; pbx finds DNS there by port on UDP and by content on TCP), captured
# with tcpdump. Needs root, dnsmasq (dnsmasq-base), dig (dnsutils), tcpdump (Debian packages).
# Exercises: A (several addresses), AAAA, MX, TXT, SRV, CNAME (chained to an A), PTR, NXDOMAIN for a
# name in the local-only zone, a query over TCP (+tcp), EDNS with the DO bit (+dnssec), a truncated
# UDP answer (TC bit, no records: a 600-byte TXT record asked without EDNS, dig's retry over TCP
# suppressed with +ignore), then the same name over TCP, and an ANY query (dig sends ANY over TCP).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/dns/dnsmasq.pcap}
port=5353
work=$(mktemp -d)
dnsmasq_pid=
tcpdump_pid=
trap 'kill $dnsmasq_pid 2>/dev/null || true; kill $tcpdump_pid 2>/dev/null || true; rm -rf "$work"' EXIT
{
  echo '192.0.2.10 www.pbx.test'
  echo '192.0.2.11 www.pbx.test'
  echo '2001:db8::10 www.pbx.test'
  echo '192.0.2.25 mail.pbx.test'
  echo '192.0.2.53 sip.pbx.test'
} > "$work/hosts"
chmod 755 "$work"; chmod 644 "$work/hosts"  # dnsmasq reads it after dropping to nobody
long=$(printf 'x%.0s' $(seq 1 200))
dnsmasq --keep-in-foreground --conf-file=/dev/null --pid-file="$work/dnsmasq.pid" \
  --port=$port --listen-address=127.0.0.1 --bind-interfaces --except-interface=nonexistent \
  --no-resolv --no-hosts --addn-hosts="$work/hosts" --local=/pbx.test/ --local=/2.0.192.in-addr.arpa/ \
  --mx-host=pbx.test,mail.pbx.test,10 \
  --txt-record=pbx.test,"v=spf1 -all" --txt-record=info.pbx.test,"pbx sample","second string" \
  --txt-record=long.pbx.test,"$long","$long","$long" \
  --srv-host=_sip._tcp.pbx.test,sip.pbx.test,5060,10,20 \
  --cname=alias.pbx.test,www.pbx.test \
  --ptr-record=53.2.0.192.in-addr.arpa,sip.pbx.test \
  --edns-packet-max=1232 --log-facility="$work/dnsmasq.log" &
dnsmasq_pid=$!
tcpdump -i lo -w "$out" -U -s 0 "host 127.0.0.1 and port $port" 2>/dev/null &
tcpdump_pid=$!
sleep 1
d() { dig @127.0.0.1 -p $port +tries=1 +time=2 +nocookie "$@" >/dev/null || true; }
d www.pbx.test A
d www.pbx.test AAAA
d pbx.test MX
d pbx.test TXT
d info.pbx.test TXT
d _sip._tcp.pbx.test SRV
d alias.pbx.test A
d -x 192.0.2.53
d missing.pbx.test A
d +tcp www.pbx.test A
d +dnssec mail.pbx.test A
d +noedns +ignore long.pbx.test TXT
d +tcp long.pbx.test TXT
d +noedns www.pbx.test ANY
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
