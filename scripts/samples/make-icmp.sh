#!/usr/bin/env bash
# Makes samples/icmp/ping.pcap: real ICMP / ICMPv6 on loopback captured with tcpdump. Needs root,
# iputils-ping, python3, tcpdump (Debian packages).
# Exercises: three IPv4 echo request/reply pairs (ping -c 3 127.0.0.1, one echo identifier, sequence
# 1..3), two ICMPv6 echo pairs (ping -6 -c 2 ::1), one IPv4 echo with a 1000-byte payload, and the
# kernel's errors for UDP datagrams sent to a closed port: ICMP port unreachable (type 3 code 3) for
# 127.0.0.1 and ICMPv6 port unreachable (type 1 code 4) for ::1, each quoting the datagram.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/icmp/ping.pcap}
closed=19999
tcpdump_pid=
trap 'kill $tcpdump_pid 2>/dev/null || true' EXIT
tcpdump -i lo -w "$out" -U -s 0 "icmp or icmp6 or (udp and port $closed)" 2>/dev/null &
tcpdump_pid=$!
sleep 1
ping -n -q -c 3 -i 0.2 127.0.0.1 >/dev/null
ping -6 -n -q -c 2 -i 0.2 ::1 >/dev/null
ping -n -q -c 1 -s 1000 127.0.0.1 >/dev/null
python3 - "$closed" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
for fam, addr in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.sendto(b'pbx: is anybody there?', (addr, port))
    time.sleep(0.2)
    s.close()
PY
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
