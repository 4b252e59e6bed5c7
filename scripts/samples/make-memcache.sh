#!/usr/bin/env bash
# Makes samples/memcache/memcached.pcap: real memcache traffic between python socket clients and a
# local memcached on loopback (127.0.0.1:11211 TCP and UDP: pbx knows memcache by port only),
# captured with tcpdump. Needs root, memcached, python3, tcpdump (Debian packages).
# Exercises, one connection / flow each:
#   1. text protocol over TCP, one command per round trip: set, add of an existing key (NOT_STORED),
#      get of two keys plus a missing one (2 values), gets, cas with the right unique (STORED) and a
#      stale one (EXISTS), append, incr, decr, incr of a non-number (CLIENT_ERROR), delete,
#      delete of a missing key (NOT_FOUND), touch, set ... noreply followed by get, a bad command
#      (ERROR), flush_all, version
#   2. meta commands over TCP: ms, mg with v/f/t flags (VA), a quiet mg miss (q) then mn (MN)
#   3. binary protocol over TCP: Set, Get (hit), Get (miss: Key not found), two quiet GetQ (one
#      hit, one miss) and Noop, Increment with an initial value, Delete, Version
#   4. text protocol over UDP (memcached -U 11211, 8-byte frame header): set, get, a get miss
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/memcache/memcached.pcap}
port=11211
server_pid=
tcpdump_pid=
trap 'kill $server_pid 2>/dev/null || true; kill $tcpdump_pid 2>/dev/null || true' EXIT
memcached -u root -l 127.0.0.1 -p $port -U $port -m 16 -c 64 -t 1 &
server_pid=$!
tcpdump -i lo -w "$out" -U -s 0 "host 127.0.0.1 and port $port" 2>/dev/null &
tcpdump_pid=$!
sleep 1
python3 - "$port" <<'PY'
import socket, struct, sys, time
port = int(sys.argv[1])

def tcp_session(lines, wait=0.05):
    s = socket.create_connection(('127.0.0.1', port))
    replies = []
    for line in lines:
        s.sendall(line)
        time.sleep(wait)
        s.settimeout(0.3)
        try:
            replies.append(s.recv(65536))
        except socket.timeout:
            replies.append(b'')
    s.close()
    time.sleep(0.2)
    return replies

# 1. text protocol
r = tcp_session([b'set user:1 5 0 5\r\nalice\r\n', b'add user:1 0 0 3\r\nbob\r\n',
                 b'set user:2 0 300 3\r\nbob\r\n', b'get user:1 user:2 user:3\r\n', b'gets user:1\r\n'])
cas = int(r[-1].split(b'\r\n')[0].split()[4])
tcp_session([b'cas user:1 5 0 6 %d\r\nalicia\r\n' % cas, b'cas user:1 5 0 5 %d\r\nalice\r\n' % cas,
             b'append user:2 0 0 4\r\n-jr.\r\n', b'set hits 0 0 1\r\n7\r\n', b'incr hits 35\r\n',
             b'decr hits 2\r\n', b'incr user:2 1\r\n', b'delete user:2\r\n', b'delete user:2\r\n',
             b'touch user:1 60\r\n', b'set quiet 0 0 2 noreply\r\nok\r\n', b'get quiet\r\n',
             b'bogus command\r\n', b'flush_all\r\n', b'version\r\n'])

# 2. meta commands
tcp_session([b'ms meta:1 5 T90 F3\r\nhello\r\n', b'mg meta:1 v f t\r\n', b'mg meta:nope v q\r\nmn\r\n'])

# 3. binary protocol (24-byte header: magic, opcode, key length, extras length, data type,
#    vbucket/status, total body length, opaque, cas)
def binreq(op, key=b'', extras=b'', value=b'', opaque=0):
    body = extras + key + value
    return struct.pack('>BBHBBHIIQ', 0x80, op, len(key), len(extras), 0, 0, len(body), opaque, 0) + body
GET, SET, DELETE, INCR, NOOP, VERSION, GETQ = 0x00, 0x01, 0x04, 0x05, 0x0a, 0x0b, 0x09
tcp_session([binreq(SET, b'bin:1', struct.pack('>II', 0xdeadbeef, 0), b'binary value', opaque=1),
             binreq(GET, b'bin:1', opaque=2),
             binreq(GET, b'bin:none', opaque=3),
             binreq(GETQ, b'bin:1', opaque=4) + binreq(GETQ, b'bin:none', opaque=5) + binreq(NOOP, opaque=6),
             binreq(INCR, b'bin:ctr', struct.pack('>QQI', 5, 100, 0), opaque=7),
             binreq(DELETE, b'bin:1', opaque=8),
             binreq(VERSION, opaque=9)])

# 4. UDP: frame header = request id, sequence number, datagram count, reserved
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(1)
for rid, cmd in enumerate([b'set udp:1 0 0 3\r\nudp\r\n', b'get udp:1\r\n', b'get udp:none\r\n'], 1):
    u.sendto(struct.pack('>HHHH', rid, 0, 1, 0) + cmd, ('127.0.0.1', port))
    u.recvfrom(65536)
    time.sleep(0.05)
u.close()
PY
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
