#!/usr/bin/env bash
# Makes samples/mongodb/synthetic.pcap: SYNTHETIC MongoDB traffic (Debian packages no MongoDB
# server): scripts/samples/mongodb-peers.ts runs a scripted server and a client over a real loopback
# TCP connection (127.0.0.1:17017, a port pbx finds MongoDB on by content), captured with tcpdump.
# Needs root, node (npx tsx, the bson package from node_modules), tcpdump.
# Exercises, on one connection: the legacy OP_QUERY isMaster handshake answered by OP_REPLY; OP_MSG
# insert with a kind-1 "documents" sequence (3 documents); find with batchSize 2 returning a cursor,
# getMore draining it (cursor id 0); update; delete matching nothing; a find that fails (ok: 0,
# BadValue); an unacknowledged insert (moreToCome flag: no reply); count; ping on admin.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/mongodb/synthetic.pcap}
port=17017
tcpdump_pid=
trap 'kill $tcpdump_pid 2>/dev/null || true' EXIT
tcpdump -i lo -w "$out" -U -s 0 "host 127.0.0.1 and tcp port $port" 2>/dev/null &
tcpdump_pid=$!
sleep 1
npx tsx scripts/samples/mongodb-peers.ts $port
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
