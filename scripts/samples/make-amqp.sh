#!/usr/bin/env bash
# Makes samples/amqp/amqp.pcap: real AMQP 0-9-1 traffic between a python3-pika client and a local
# rabbitmq-server bound to loopback only (AMQP on 127.0.0.1:5672, Erlang distribution and epmd on
# 127.0.0.1, node data and logs in a temp dir), captured with tcpdump -i lo. Needs root,
# rabbitmq-server, python3-pika, tcpdump (Debian packages). One connection each:
#   1. declares (exchange fanout / direct, named and anonymous queue), queue.bind / unbind,
#      basic.qos, publish with properties and headers, consume + deliver + ack, basic.get (get-ok
#      and get-empty), nack, reject, a 300 KB message (many body frames), queue.purge, deletes,
#      basic.cancel
#   2. publisher confirms (confirm.select, server basic.ack), a mandatory unroutable publish
#      (basic.return), tx.select / commit / rollback
#   3. a passive queue.declare of a missing queue: the server closes the channel (404)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/amqp/amqp.pcap}
work=$(mktemp -d)
tcpdump_pid=
trap 'rabbitmqctl -n pbxsample@localhost stop >/dev/null 2>&1 || true; kill $tcpdump_pid 2>/dev/null || true; epmd -kill >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export RABBITMQ_NODENAME=pbxsample@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=5672 \
  RABBITMQ_DIST_PORT=25679 ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_MNESIA_BASE=$work/mnesia RABBITMQ_LOG_BASE=$work/log \
  RABBITMQ_ENABLED_PLUGINS_FILE=$work/enabled_plugins RABBITMQ_CONFIG_FILE=$work/rabbitmq \
  RABBITMQ_PID_FILE=$work/rabbit.pid RABBITMQ_SERVER_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
chmod 755 "$work"; echo '[].' > "$work/enabled_plugins"
printf 'loopback_users.guest = true\nlisteners.tcp.default = 127.0.0.1:5672\n' > "$work/rabbitmq.conf"
chown -R rabbitmq: "$work" 2>/dev/null || true
rabbitmq-server > "$work/server.out" 2>&1 &
rabbitmqctl -n pbxsample@localhost wait --timeout 120 "$work/rabbit.pid" >/dev/null
tcpdump -i lo -w "$out" -U -s 0 "host 127.0.0.1 and tcp port 5672" 2>/dev/null &
tcpdump_pid=$!
sleep 1
/usr/bin/python3 - <<'PY'  # the Debian python3 (python3-pika)
import time, pika
params = pika.ConnectionParameters('127.0.0.1', 5672, heartbeat=0)

# 1.
c = pika.BlockingConnection(params)
ch = c.channel()
ch.exchange_declare('pbx.logs', exchange_type='fanout', durable=True)
ch.exchange_declare('pbx.direct', exchange_type='direct')
ch.queue_declare('pbx.work', durable=False, arguments={'x-max-length': 100, 'x-queue-mode': 'default'})
anon = ch.queue_declare('', exclusive=True).method.queue
ch.queue_bind(anon, 'pbx.logs')
ch.queue_bind('pbx.work', 'pbx.direct', routing_key='work')
ch.basic_qos(prefetch_count=10)
props = pika.BasicProperties(content_type='application/json', content_encoding='utf-8', delivery_mode=2,
    priority=5, correlation_id='corr-1', reply_to='pbx.replies', expiration='60000', message_id='msg-1',
    timestamp=1700000000, type='order.created', user_id='guest', app_id='pbx-sample',
    headers={'tenant': 'acme', 'retries': 3, 'flags': [1, 'two'], 'nested': {'ok': True}})
ch.basic_publish('pbx.direct', 'work', b'{"order": 1}', props)
ch.basic_publish('pbx.logs', '', b'log line one', pika.BasicProperties(content_type='text/plain'))
got = []
tag = ch.basic_consume(anon, lambda c2, m, p, b: (got.append(m.delivery_tag), c2.basic_ack(m.delivery_tag)))
t0 = time.time()
while not got and time.time() - t0 < 5:
    c.process_data_events(time_limit=0.2)
ch.basic_cancel(tag)
m, p, b = ch.basic_get('pbx.work')
ch.basic_nack(m.delivery_tag, requeue=True)
m, p, b = ch.basic_get('pbx.work')
ch.basic_reject(m.delivery_tag, requeue=False)
ch.basic_get('pbx.work')  # get-empty
ch.basic_publish('pbx.direct', 'work', b'x' * 300000, pika.BasicProperties(content_type='application/octet-stream'))
time.sleep(0.3)
ch.queue_purge('pbx.work')
ch.queue_unbind('pbx.work', 'pbx.direct', routing_key='work')
ch.queue_delete('pbx.work')
ch.exchange_delete('pbx.direct')
ch.close()
c.close()
time.sleep(0.3)

# 2.
c = pika.BlockingConnection(params)
ch = c.channel()
ch.confirm_delivery()
ch.queue_declare('pbx.confirm', auto_delete=True)
ch.basic_publish('', 'pbx.confirm', b'confirmed', pika.BasicProperties(content_type='text/plain'))
try:
    ch.basic_publish('', 'pbx.nowhere', b'unroutable', pika.BasicProperties(content_type='text/plain'), mandatory=True)
except pika.exceptions.UnroutableError:
    pass
ch.close()
ch = c.channel()
ch.tx_select()
ch.basic_publish('', 'pbx.confirm', b'in tx', pika.BasicProperties(content_type='text/plain'))
ch.tx_commit()
ch.basic_publish('', 'pbx.confirm', b'rolled back', pika.BasicProperties(content_type='text/plain'))
ch.tx_rollback()
ch.queue_delete('pbx.confirm')
ch.close()
c.close()
time.sleep(0.3)

# 3.
c = pika.BlockingConnection(params)
ch = c.channel()
try:
    ch.queue_declare('pbx.missing', passive=True)
except pika.exceptions.ChannelClosedByBroker:
    pass
c.close()
time.sleep(0.5)
PY
sleep 1
kill $tcpdump_pid
wait $tcpdump_pid 2>/dev/null || true
tcpdump_pid=
echo "wrote $out"
