#!/usr/bin/env bash
# Makes samples/grpc/grpc.pcap: real gRPC traffic (HTTP/2 cleartext, prior knowledge) between a
# small @grpc/grpc-js server and client (devDependency) on loopback 127.0.0.1:18084, captured with
# tcpdump. Needs root, node, tcpdump. Messages are JSON bytes (no .proto: generic service
# definitions with their own (de)serializers), which changes nothing on the wire but the payload.
# Exercises, on one connection: a unary call (OK), a server-streaming call (4 responses), a
# client-streaming call (3 requests), a unary call failing with NOT_FOUND and a grpc-message that
# needs percent-encoding, and a unary call whose request is gzip-compressed (compressed flag).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/grpc/grpc.pcap}
port=18084
tcpdump_pid=
trap 'kill $tcpdump_pid 2>/dev/null || true' EXIT
tcpdump -i lo -w "$out" -U -s 0 "tcp port $port" 2>/dev/null &
tcpdump_pid=$!
sleep 1
node - "$port" <<'JS'
const grpc = require('@grpc/grpc-js')
const port = process.argv[2]
const ser = (o) => Buffer.from(JSON.stringify(o))
const de = (b) => JSON.parse(b.toString())
const m = (name, requestStream, responseStream) => ({
  path: `/routeguide.RouteGuide/${name}`, requestStream, responseStream,
  requestSerialize: ser, requestDeserialize: de, responseSerialize: ser, responseDeserialize: de,
})
const def = {
  GetFeature: m('GetFeature', false, false),
  ListFeatures: m('ListFeatures', false, true),
  RecordRoute: m('RecordRoute', true, false),
}
const server = new grpc.Server()
server.addService(def, {
  GetFeature(call, cb) {
    if (call.request.name === 'bob') cb({code: grpc.status.NOT_FOUND, details: 'no such feature: bob (100% sure)'})
    else cb(null, {name: call.request.name, lat: 1, lon: 2})
  },
  ListFeatures(call) {
    for (let i = 0; i < 4; i++) call.write({name: `feature-${i}`, lat: i})
    call.end()
  },
  RecordRoute(call, cb) {
    let n = 0
    call.on('data', () => n++)
    call.on('end', () => cb(null, {points: n}))
  },
})
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), async (err) => {
  if (err) throw err
  const Client = grpc.makeGenericClientConstructor(def, 'RouteGuide')
  const c = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure())
  const unary = (req, opts) => new Promise((ok) => c.GetFeature(req, new grpc.Metadata(), opts ?? {}, () => ok()))
  await unary({name: 'alice'})
  await new Promise((ok) => {
    const s = c.ListFeatures({area: 'x'})
    s.on('data', () => {})
    s.on('end', ok)
    s.on('error', ok)
  })
  await new Promise((ok) => {
    const s = c.RecordRoute(() => ok())
    for (let i = 0; i < 3; i++) s.write({lat: i, lon: i})
    s.end()
  })
  await unary({name: 'bob'})
  const gz = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {'grpc.default_compression_algorithm': 2, 'grpc.default_compression_level': 2})
  await new Promise((ok) => gz.GetFeature({name: 'x'.repeat(300)}, () => ok()))
  gz.close()
  c.close()
  setTimeout(() => server.tryShutdown(() => process.exit(0)), 300)
})
JS
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
