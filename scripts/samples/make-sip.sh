#!/usr/bin/env bash
# Makes samples/sip/sip.pcap: real SIP traffic between sipp's built-in uac and uas scenarios on
# loopback, captured with tcpdump -i lo. Needs root, sip-tester (sipp), tcpdump (Debian packages).
#   1. UDP, default port: uac 127.0.0.1:5061 -> uas 127.0.0.1:5060, two calls (INVITE, 100, 180,
#      200 with SDP, ACK, BYE, 200)
#   2. TCP on port 5070 (pbx finds SIP there by content): one call, messages framed by Content-Length
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/sip/sip.pcap}
work=$(mktemp -d)
tcpdump_pid=
uas_udp=
uas_tcp=
trap 'kill $uas_udp $uas_tcp 2>/dev/null || true; kill $tcpdump_pid 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
tcpdump -i lo -w "$OLDPWD/$out" -U -s 0 "host 127.0.0.1 and (port 5060 or port 5070)" 2>/dev/null &
tcpdump_pid=$!
sleep 1
sipp -sn uas -i 127.0.0.1 -p 5060 -nostdin > uas-udp.log 2>&1 &
uas_udp=$!
sipp -sn uas -t t1 -i 127.0.0.1 -p 5070 -nostdin > uas-tcp.log 2>&1 &
uas_tcp=$!
sleep 1
sipp -sn uac 127.0.0.1:5060 -i 127.0.0.1 -p 5061 -m 2 -r 1 -d 200 -nostdin > uac-udp.log 2>&1 || true
sipp -sn uac -t t1 127.0.0.1:5070 -i 127.0.0.1 -p 5071 -m 1 -d 200 -nostdin > uac-tcp.log 2>&1 || true
sleep 1
kill $tcpdump_pid
wait $tcpdump_pid 2>/dev/null || true
tcpdump_pid=
echo "wrote $out"
