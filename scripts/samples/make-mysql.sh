#!/usr/bin/env bash
# Makes samples/mysql/mariadb.pcap: real MySQL-protocol traffic between the mariadb client / perl
# DBD::MariaDB and a throwaway MariaDB server (mariadb-install-db in a temp datadir, --skip-ssl,
# 127.0.0.1:13306: a port pbx finds MySQL on by content), captured with tcpdump. The user pbx
# (mysql_native_password) is created over the unix socket, which is not captured.
# Needs root, mariadb-server, mariadb-client, libdbd-mariadb-perl, tcpdump (Debian packages).
# Exercises, one connection each:
#   1. mariadb client (text protocol, COM_QUERY): CREATE TABLE, INSERT of three rows, SELECT (3 rows),
#      UPDATE, an error (table doesn't exist, 1146), USE of another database (COM_INIT_DB),
#      SQL-level PREPARE / EXECUTE USING / DEALLOCATE (plain COM_QUERY), a multi-statement query
#      (two result sets in one COM_QUERY), SHOW TABLES
#   2. perl DBD::MariaDB with mariadb_server_prepare=1 (binary protocol): COM_STMT_PREPARE +
#      COM_STMT_EXECUTE of a SELECT with one parameter (binary result rows), an INSERT prepared once
#      and executed twice, a prepare that fails (syntax error), COM_STMT_CLOSE, COM_PING
#   3. a login with a wrong password (access denied, 1045)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/mysql/mariadb.pcap}
port=13306
work=$(mktemp -d)
server_pid=
tcpdump_pid=
trap 'kill $server_pid 2>/dev/null || true; wait $server_pid 2>/dev/null || true; kill $tcpdump_pid 2>/dev/null || true; rm -rf "$work"' EXIT
mariadb-install-db --no-defaults --datadir="$work/data" --user=root --skip-test-db \
  --auth-root-authentication-method=socket >/dev/null 2>&1
mariadbd --no-defaults --user=root --datadir="$work/data" --socket="$work/sock" --port=$port \
  --bind-address=127.0.0.1 --skip-ssl --skip-log-bin --innodb-buffer-pool-size=16M \
  --pid-file="$work/pid" --log-error="$work/error.log" 2>/dev/null &
server_pid=$!
for _ in $(seq 100); do mariadb-admin --no-defaults --socket="$work/sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
mariadb --no-defaults --socket="$work/sock" -u root <<'SQL'
CREATE DATABASE shop;
CREATE DATABASE other;
CREATE USER 'pbx'@'127.0.0.1' IDENTIFIED VIA mysql_native_password USING PASSWORD('pbx-secret');
GRANT ALL ON *.* TO 'pbx'@'127.0.0.1';
SQL
tcpdump -i lo -w "$out" -U -s 0 "host 127.0.0.1 and tcp port $port" 2>/dev/null &
tcpdump_pid=$!
sleep 1
mariadb --no-defaults -h 127.0.0.1 -P $port -u pbx -ppbx-secret --skip-ssl --force shop >/dev/null 2>&1 <<'SQL' || true
CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(32) NOT NULL, price DECIMAL(6,2));
INSERT INTO items (name, price) VALUES ('apple', 1.50), ('pear', 2.25), ('plum', 0.75);
SELECT id, name, price FROM items ORDER BY id;
UPDATE items SET price = price * 2 WHERE name = 'pear';
SELECT * FROM no_such_table;
PREPARE byname FROM 'SELECT price FROM items WHERE name = ?';
SET @n = 'plum';
EXECUTE byname USING @n;
DEALLOCATE PREPARE byname;
USE other;
SELECT DATABASE();
USE shop;
DELIMITER //
SELECT COUNT(*) FROM items; SELECT MAX(price) FROM items//
DELIMITER ;
SHOW TABLES;
SQL
sleep 0.2
perl - "$port" <<'PERL' || true
use strict; use warnings; use DBI;
my $dbh = DBI->connect("DBI:MariaDB:database=shop;host=127.0.0.1;port=$ARGV[0];mariadb_server_prepare=1",
  'pbx', 'pbx-secret', {RaiseError => 0, PrintError => 0, AutoCommit => 1});
my $sel = $dbh->prepare('SELECT id, name, price FROM items WHERE price > ? ORDER BY id');
$sel->execute(1.0); while (my @r = $sel->fetchrow_array) {}
$sel->finish; undef $sel;
my $ins = $dbh->prepare('INSERT INTO items (name, price) VALUES (?, ?)');
$ins->execute('fig', 3.00);
$ins->execute('kiwi', 0.60);
undef $ins;
my $bad = $dbh->prepare('SELEC oops FROM items WHERE id = ?');
$dbh->ping;
$dbh->disconnect;
PERL
sleep 0.2
mariadb --no-defaults -h 127.0.0.1 -P $port -u pbx -pwrong-password --skip-ssl shop -e 'SELECT 1' >/dev/null 2>&1 || true
sleep 1
kill $tcpdump_pid; wait $tcpdump_pid 2>/dev/null || true
echo "wrote $out ($(stat -c %s "$out") bytes)"
