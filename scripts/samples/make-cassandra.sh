#!/usr/bin/env bash
# Makes samples/cassandra/cassandra.pcap: CQL traffic between pbx's OWN peers (Debian packages no
# Cassandra server): scripts/samples/cassandra-peers.ts runs a scripted CQL server and clients over
# real loopback TCP connections (127.0.0.1:9042), captured with tcpdump. Four connections: v4
# uncompressed (OPTIONS, STARTUP, REGISTER and a STATUS_CHANGE push, USE, CREATE TABLE, INSERT,
# SELECT, PREPARE/EXECUTE, BATCH, two pipelined queries answered out of order, a syntax error, an
# Unavailable error, a traced query with a warning), v4 with LZ4 bodies, v4 with Snappy bodies, and
# v5 with LZ4 v5 framing (an envelope split over two outer frames).
# Needs root, node (npx tsx), tcpdump.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/cassandra/cassandra.pcap}
port=9042
mkdir -p "$(dirname "$out")"
tcpdump_pid=
trap 'kill $tcpdump_pid 2>/dev/null || true' EXIT
tcpdump -i lo -w "$out" -U -s 0 "host 127.0.0.1 and tcp port $port" 2>/dev/null &
tcpdump_pid=$!
sleep 1
npx tsx scripts/samples/cassandra-peers.ts $port
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
