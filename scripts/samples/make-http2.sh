#!/usr/bin/env bash
# Makes samples/http2/nginx-h2c.pcap: real HTTP/2 cleartext traffic (h2c with prior knowledge)
# between curl --http2-prior-knowledge and a local nginx (`listen ... http2;` without ssl) on
# loopback 127.0.0.1:18082 (not a port pbx assigns to HTTP: found by the connection preface),
# captured with tcpdump. Needs root, nginx (with http_v2_module), curl with HTTP2, tcpdump.
# Exercises: several streams on one connection (index, a 404, a JSON file, a query string), a
# gzip-encoded response, a POST with a body, a HEAD, and a large body sent in several DATA frames.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/http2/nginx-h2c.pcap}
port=18082
work=$(mktemp -d)
tcpdump_pid=

trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; kill $tcpdump_pid 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/www" "$work/logs"
chmod 755 "$work"
printf 'hello from pbx sample\n' > "$work/www/index.html"
python3 -c "print('pbx ' * 20000)" > "$work/www/big.txt"
printf '{"ok":true}\n' > "$work/www/data.json"
cat > "$work/nginx.conf" <<CONF
daemon on;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  types { text/html html; text/plain txt; application/json json; }
  gzip on; gzip_types text/plain; gzip_min_length 100;
  server {
    listen 127.0.0.1:$port http2;
    root $work/www;
    location /echo { client_max_body_size 1m; error_page 405 =200 /data.json; }
  }
}
CONF
nginx -c "$work/nginx.conf"
tcpdump -i lo -w "$out" -U -s 0 "tcp port $port" 2>/dev/null &
tcpdump_pid=$!
sleep 1
base=http://127.0.0.1:$port
c() { curl -sS --http2-prior-knowledge -A 'pbx-sample/1.0' "$@"; }
# one connection, five streams (the HPACK dynamic table reused between them), one a 404, one a POST:
# node's built-in http2 client (this curl fails on a second request over one h2c connection)
node - "$base" <<'JS'
const http2 = require('node:http2')
const s = http2.connect(process.argv[2])
const get = (path, opts = {}) => new Promise((ok) => {
  const r = s.request({':path': path, 'user-agent': 'pbx-sample/1.0', ...opts.headers})
  if (opts.body !== undefined) r.end(opts.body)
  r.on('data', () => {})
  r.on('end', ok)
})
;(async () => {
  await get('/index.html')
  await get('/missing')
  await Promise.all([get('/data.json'), get('/index.html?x=1&y=2')])
  await get('/echo', {headers: {':method': 'POST', 'content-type': 'application/x-www-form-urlencoded'}, body: 'a=1&b=2'})
  s.close()
})()
JS
c -o /dev/null --compressed "$base/big.txt" || echo "curl failed: -o /dev/null --compressed "$base/big.txt"" >&2
c -o /dev/null "$base/big.txt" || echo "curl failed: -o /dev/null "$base/big.txt"" >&2
c -o /dev/null -I "$base/index.html" || echo "curl failed: -o /dev/null -I "$base/index.html"" >&2
c -o /dev/null -X POST --data 'a=1&b=2' "$base/echo" || echo "curl failed: -o /dev/null -X POST --data 'a=1&b=2' "$base/echo"" >&2
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
