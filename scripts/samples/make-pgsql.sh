#!/usr/bin/env bash
# Makes samples/pgsql/postgres.pcap: real PostgreSQL traffic between psql / pgbench and a throwaway
# cluster (initdb in a temp dir as the postgres user, trust auth, ssl off, 127.0.0.1:15432: a port pbx
# finds PostgreSQL on by content), captured with tcpdump. Needs root, postgresql (initdb, postgres,
# psql, pgbench), tcpdump (Debian packages). psql 15 has no \bind, so the extended protocol comes
# from pgbench -M prepared / -M extended.
# Exercises, one connection each (every libpq client first sends SSLRequest and gets 'N'):
#   1. psql: CREATE TABLE, INSERT of three rows, SELECT (3 rows), UPDATE 1, DELETE 0, an error
#      (relation does not exist), a multi-statement simple query (BEGIN; INSERT; SELECT; COMMIT)
#   2. psql \copy ... FROM STDIN (COPY IN, 3 rows)
#   3. psql COPY ... TO STDOUT (COPY OUT, 6 rows)
#   4. psql: an error inside a transaction block, the next statement rejected (25P02), ROLLBACK
#   5. pgbench -M prepared: named statements parsed once, then Bind/Execute x3 (SELECT + UPDATE)
#   6. pgbench -M extended: unnamed Parse/Bind/Describe/Execute/Sync for each of 2 SELECTs
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/pgsql/postgres.pcap}
port=15432
work=$(mktemp -d)
tcpdump_pid=
trap 'runuser -u postgres -- pg_ctl -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; kill $tcpdump_pid 2>/dev/null || true; rm -rf "$work"' EXIT
chown postgres "$work"
runuser -u postgres -- initdb -D "$work/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- pg_ctl -D "$work/data" -l "$work/server.log" -w start -o \
  "-p $port -k $work -c listen_addresses=127.0.0.1 -c ssl=off -c fsync=off" >/dev/null
tcpdump -i lo -w "$out" -U -s 0 "host 127.0.0.1 and tcp port $port" 2>/dev/null &
tcpdump_pid=$!
sleep 1
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres PGAPPNAME=pbx-sample
sql() { psql -X -q -v ON_ERROR_STOP=0 "$@" >/dev/null 2>&1 || true; sleep 0.2; }
sql -c 'CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, price numeric(6,2))' \
    -c "INSERT INTO items (name, price) VALUES ('apple', 1.50), ('pear', 2.25), ('plum', 0.75)" \
    -c 'SELECT id, name, price FROM items ORDER BY id' \
    -c "UPDATE items SET price = price * 2 WHERE name = 'pear'" \
    -c "DELETE FROM items WHERE name = 'kiwi'" \
    -c 'SELECT * FROM no_such_table' \
    -c "BEGIN; INSERT INTO items (name, price) VALUES ('fig', 3.00); SELECT count(*) FROM items; COMMIT"
printf 'cherry\t4.10\ngrape\t2.00\nlime\t0.40\n' > "$work/rows.tsv"
sql -c "\\copy items (name, price) FROM '$work/rows.tsv'"
sql -c 'COPY (SELECT name, price FROM items ORDER BY id LIMIT 6) TO STDOUT'
sql -c 'BEGIN' -c 'SELECT 1/0' -c 'SELECT 1' -c 'ROLLBACK'
printf '\\set id 2\nSELECT name, price FROM items WHERE id = :id;\nUPDATE items SET price = price + 1 WHERE id = :id;\n' > "$work/bench.sql"
pgbench -n -M prepared -t 3 -f "$work/bench.sql" >/dev/null 2>&1
sleep 0.2
printf '\\set id 3\nSELECT name FROM items WHERE id = :id;\n' > "$work/bench2.sql"
pgbench -n -M extended -t 2 -f "$work/bench2.sql" >/dev/null 2>&1
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
