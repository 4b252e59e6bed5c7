#!/usr/bin/env bash
# Makes samples/redis/redis.pcap: real Redis traffic between redis-cli / a python socket client and a
# local redis-server on loopback (127.0.0.1:16379, a port pbx finds Redis on by content), captured
# with tcpdump. Needs root, redis-server, redis-tools, python3, tcpdump (Debian packages).
# Exercises, one connection each:
#   1. RESP2, one command per round trip: SET/GET/DEL/INCR/INCRBY, GET of a missing key (null bulk), RPUSH + LRANGE
#      (array), a WRONGTYPE error (GET on a list), an unknown command (ERR), HSET/HGETALL
#   2. pipelining: five RESP commands written in one segment, replies read afterwards
#   3. inline commands (no RESP framing): PING, SET, GET, ECHO
#   4. RESP3: HELLO 3 (map reply), HGETALL (map), SMEMBERS (set), ZSCORE (double), GET missing
#      (RESP3 null), EXISTS (integer)
#   5.-7. pub/sub: a subscriber (SUBSCRIBE news + PSUBSCRIBE n*) receives two messages (each twice:
#      message + pmessage) that redis-cli PUBLISHes from two other connections (each PUBLISH returns
#      2 receivers), then UNSUBSCRIBEs and PUNSUBSCRIBEs
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/redis/redis.pcap}
port=16379
work=$(mktemp -d)
server_pid=
tcpdump_pid=
sub_pid=
trap 'kill $sub_pid $server_pid 2>/dev/null || true; kill $tcpdump_pid 2>/dev/null || true; rm -rf "$work"' EXIT
redis-server --port $port --bind 127.0.0.1 --save '' --appendonly no --dir "$work" --daemonize no \
  --logfile "$work/redis.log" &
server_pid=$!
tcpdump -i lo -w "$out" -U -s 0 "host 127.0.0.1 and tcp port $port" 2>/dev/null &
tcpdump_pid=$!
sleep 1
cli() { redis-cli -h 127.0.0.1 -p $port "$@"; }
python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def resp(*args):
    out = b'*%d\r\n' % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b'$%d\r\n%s\r\n' % (len(a), a)
    return out
def session(payloads, wait=0.2):
    s = socket.create_connection(('127.0.0.1', port))
    for p in payloads:
        s.sendall(p)
        time.sleep(wait)
        s.recv(65536)
    s.close()
    time.sleep(0.2)
# 1. one command per round trip, as redis-cli sends them (redis-cli itself is used for PUBLISH below:
# fed commands on stdin it first asks COMMAND DOCS, a 170 KB reply)
session([resp('SET', 'greeting', 'hello pbx'), resp('GET', 'greeting'), resp('GET', 'nosuchkey'),
         resp('INCR', 'counter'), resp('INCRBY', 'counter', '41'), resp('DEL', 'greeting', 'counter'),
         resp('RPUSH', 'mylist', 'a', 'b', 'c'), resp('LRANGE', 'mylist', '0', '-1'), resp('GET', 'mylist'),
         resp('NOSUCHCOMMAND', 'arg'), resp('HSET', 'user:1', 'name', 'alice', 'age', '30'),
         resp('HGETALL', 'user:1')], wait=0.05)
# 2. pipeline: all five in one write
session([resp('SET', 'p:1', 'one') + resp('SET', 'p:2', 'two') + resp('MGET', 'p:1', 'p:2', 'p:3')
         + resp('EXPIRE', 'p:1', '100') + resp('TTL', 'p:1')])
# 3. inline commands
session([b'PING\r\n', b'SET inline yes\r\n', b'GET inline\r\n', b'ECHO "two words"\r\n'])
# 4. RESP3
session([resp('HELLO', '3'), resp('HGETALL', 'user:1'), resp('SADD', 'tags', 'x', 'y'),
         resp('SMEMBERS', 'tags'), resp('ZADD', 'scores', '1.5', 'm'), resp('ZSCORE', 'scores', 'm'),
         resp('GET', 'nosuchkey'), resp('EXISTS', 'user:1', 'tags')])
PY
# 5./6. pub/sub
python3 - "$port" "$work/subscribed" <<'PY' &
import os, socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
s.sendall(b'*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nnews\r\n')
time.sleep(0.2)
s.sendall(b'*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\nn*\r\n')
time.sleep(0.2)
open(sys.argv[2], 'w').close()  # subscribed: the publisher may start
while os.path.exists(sys.argv[2]):
    time.sleep(0.05)
time.sleep(0.2)
s.sendall(b'*2\r\n$11\r\nUNSUBSCRIBE\r\n$4\r\nnews\r\n')
time.sleep(0.2)
s.sendall(b'*1\r\n$12\r\nPUNSUBSCRIBE\r\n')
time.sleep(0.2)
s.close()
PY
sub_pid=$!
for _ in $(seq 100); do [ -e "$work/subscribed" ] && break; sleep 0.1; done
cli PUBLISH news "first message" >/dev/null
cli PUBLISH news "second message" >/dev/null
rm -f "$work/subscribed"
wait $sub_pid; sub_pid=
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
