#!/usr/bin/env bash
# Makes samples/http/nginx.pcap: real HTTP/1.1 traffic between curl / python and a local nginx on
# loopback, captured with tcpdump. Needs root, nginx, curl, python3, tcpdump (Debian packages).
# Exercises: keep-alive (several requests on one connection), HEAD, 404, 304 (If-None-Match),
# gzip-encoded response, POST with a body, chunked request body, 100-continue, pipelining (three
# requests in one segment), a response on a connection closed by the client.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/http/nginx.pcap}
port=18080
work=$(mktemp -d)
trap 'kill $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; kill $tcpdump_pid 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/www" "$work/logs"
chmod 755 "$work"
printf 'hello from pbx sample\n' > "$work/www/index.html"
python3 -c "print('pbx ' * 2000)" > "$work/www/big.txt"
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
  keepalive_requests 100;
  server {
    listen 127.0.0.1:$port;
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
# keep-alive: three requests on one connection, one of them a 404, then gzip
curl -s -o /dev/null -o /dev/null -o /dev/null "$base/index.html" "$base/missing" "$base/data.json" -H 'User-Agent: pbx-sample/1.0'
curl -s -o /dev/null --compressed "$base/big.txt?x=1&y=2"
curl -s -o /dev/null -I "$base/index.html"
etag=$(curl -s -D - -o /dev/null "$base/index.html" | awk -F': ' 'tolower($1)=="etag"{print $2}' | tr -d '\r')
curl -s -o /dev/null -H "If-None-Match: $etag" "$base/index.html"
curl -s -o /dev/null -X POST --data 'a=1&b=2' "$base/echo"
curl -s -o /dev/null -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$work/www/index.html" "$base/echo"
curl -s -o /dev/null -X POST -H 'Expect: 100-continue' --data-binary @"$work/www/big.txt" "$base/echo"
# pipelining: three requests written in one segment
python3 - "$port" <<'PY'
import socket, sys, time
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
req = b''.join(b'GET /%s HTTP/1.1\r\nHost: localhost\r\n\r\n' % p for p in (b'index.html', b'data.json', b'nope'))
s.sendall(req)
time.sleep(0.3)
s.recv(65536)
s.close()
PY
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
