#!/usr/bin/env bash
# Makes samples/thrift/thrift.pcap: real Thrift RPC between a Python client and server (Debian's
# python3-thrift, used through its TProtocol / TTransport APIs directly: no generated code, no
# thrift compiler needed) on 127.0.0.1, captured with tcpdump -i lo. Needs root, tcpdump,
# python3-thrift. Two connections:
#   1. binary protocol, socket transport (TBufferedTransport) on port 9090: ping (void), add,
#      echo of a string, a nested struct with a list and a map, a divide by zero answered with a
#      declared exception, a oneway log call, and a call of an unknown method answered with a
#      TApplicationException
#   2. compact protocol, framed transport on port 9091 (no Thrift port: found by content
#      detection): add, a multiplexed "Calc:echo", the divide exception, a oneway log
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-samples/thrift/thrift.pcap}
tcpdump_pid=
trap 'kill $tcpdump_pid 2>/dev/null || true' EXIT
tcpdump -i lo -w "$out" -U -s 0 "host 127.0.0.1 and (tcp port 9090 or tcp port 9091)" 2>/dev/null &
tcpdump_pid=$!
sleep 1
/usr/bin/python3 - <<'PY'  # the Debian python3 (python3-thrift), not a pyenv one
import threading, time
from thrift.Thrift import TType, TMessageType, TApplicationException
from thrift.transport import TSocket, TTransport
from thrift.protocol import TBinaryProtocol, TCompactProtocol

def read_value(p, t):
    if t == TType.BOOL: return p.readBool()
    if t == TType.BYTE: return p.readByte()
    if t == TType.I16: return p.readI16()
    if t == TType.I32: return p.readI32()
    if t == TType.I64: return p.readI64()
    if t == TType.DOUBLE: return p.readDouble()
    if t == TType.STRING: return p.readBinary()
    if t == TType.STRUCT: return read_struct(p)
    if t == TType.LIST:
        et, n = p.readListBegin(); v = [read_value(p, et) for _ in range(n)]; p.readListEnd(); return v
    if t == TType.SET:
        et, n = p.readSetBegin(); v = [read_value(p, et) for _ in range(n)]; p.readSetEnd(); return v
    if t == TType.MAP:
        kt, vt, n = p.readMapBegin(); v = [(read_value(p, kt), read_value(p, vt)) for _ in range(n)]; p.readMapEnd(); return v
    raise ValueError(t)

def read_struct(p):
    p.readStructBegin(); fields = {}
    while True:
        _, t, fid = p.readFieldBegin()
        if t == TType.STOP: break
        fields[fid] = (t, read_value(p, t)); p.readFieldEnd()
    p.readStructEnd(); return fields

def write_value(p, t, v):
    if t == TType.BOOL: p.writeBool(v)
    elif t == TType.BYTE: p.writeByte(v)
    elif t == TType.I16: p.writeI16(v)
    elif t == TType.I32: p.writeI32(v)
    elif t == TType.I64: p.writeI64(v)
    elif t == TType.DOUBLE: p.writeDouble(v)
    elif t == TType.STRING: p.writeBinary(v if isinstance(v, bytes) else v.encode())
    elif t == TType.STRUCT: write_struct(p, v)
    elif t == TType.LIST:
        et, items = v; p.writeListBegin(et, len(items)); [write_value(p, et, x) for x in items]; p.writeListEnd()
    elif t == TType.MAP:
        kt, vt, items = v; p.writeMapBegin(kt, vt, len(items))
        for k, x in items: write_value(p, kt, k); write_value(p, vt, x)
        p.writeMapEnd()

def write_struct(p, fields):
    """fields: list of (id, type, value)"""
    p.writeStructBegin('s')
    for fid, t, v in fields:
        p.writeFieldBegin('f', t, fid); write_value(p, t, v); p.writeFieldEnd()
    p.writeFieldStop(); p.writeStructEnd()

def handle(name, args):
    """-> (kind, reply fields) kind: 'reply' | 'oneway' | 'unknown'"""
    base = name.split(':')[-1]
    if base == 'ping': return 'reply', []
    if base == 'add': return 'reply', [(0, TType.I32, args[1][1] + args[2][1])]
    if base == 'echo': return 'reply', [(0, TType.STRING, args[1][1])]
    if base == 'describe':
        person = args[1][1]
        return 'reply', [(0, TType.STRING, '%s (%d), %d tags' % (person[1][1].decode(), person[2][1], len(person[3][1])))]
    if base == 'divide':
        a, b = args[1][1], args[2][1]
        if b == 0: return 'reply', [(1, TType.STRUCT, [(1, TType.I32, 4), (2, TType.STRING, 'Cannot divide by 0')])]
        return 'reply', [(0, TType.DOUBLE, a / b)]
    if base == 'log': return 'oneway', []
    return 'unknown', []

def serve(port, make_transport, make_protocol):
    srv = TSocket.TServerSocket(host='127.0.0.1', port=port); srv.listen()
    def loop():
        client = srv.accept()
        t = make_transport(client); p = make_protocol(t)
        try:
            while True:
                name, mtype, seqid = p.readMessageBegin()
                args = read_struct(p); p.readMessageEnd()
                kind, fields = handle(name, args)
                if kind == 'oneway': continue
                if kind == 'unknown':
                    p.writeMessageBegin(name, TMessageType.EXCEPTION, seqid)
                    TApplicationException(TApplicationException.UNKNOWN_METHOD, 'Unknown function ' + name).write(p)
                else:
                    p.writeMessageBegin(name, TMessageType.REPLY, seqid); write_struct(p, fields)
                p.writeMessageEnd(); t.flush()
        except TTransport.TTransportException:
            pass
        client.close(); srv.close()
    th = threading.Thread(target=loop, daemon=True); th.start(); return th

def client(port, make_transport, make_protocol, calls):
    sock = TSocket.TSocket('127.0.0.1', port); t = make_transport(sock); p = make_protocol(t); t.open()
    for seqid, (name, mtype, fields) in enumerate(calls, start=1):
        p.writeMessageBegin(name, mtype, seqid); write_struct(p, fields); p.writeMessageEnd(); t.flush()
        if mtype == TMessageType.ONEWAY:
            time.sleep(0.05); continue
        rname, rtype, rseq = p.readMessageBegin()
        reply = read_struct(p); p.readMessageEnd()
        assert rseq == seqid, (rseq, seqid)
        print(rname, 'exception' if rtype == TMessageType.EXCEPTION else 'reply', reply)
    t.close()

S, I32, DBL, STRUCT, LIST, MAP = TType.STRING, TType.I32, TType.DOUBLE, TType.STRUCT, TType.LIST, TType.MAP
CALL, ONEWAY = TMessageType.CALL, TMessageType.ONEWAY
person = [(1, S, 'Ada'), (2, I32, 36), (3, LIST, (S, ['math', 'engines'])), (4, MAP, (S, I32, [('born', 1815), ('papers', 1)]))]

buffered, binary = TTransport.TBufferedTransport, TBinaryProtocol.TBinaryProtocol
th = serve(9090, buffered, binary)
client(9090, buffered, binary, [
    ('ping', CALL, []),
    ('add', CALL, [(1, I32, 40), (2, I32, 2)]),
    ('echo', CALL, [(1, S, 'hello thrift')]),
    ('describe', CALL, [(1, STRUCT, person)]),
    ('divide', CALL, [(1, I32, 1), (2, I32, 0)]),
    ('log', ONEWAY, [(1, S, 'a oneway line')]),
    ('fly', CALL, [(1, S, 'to the moon')]),
])
th.join(5)
time.sleep(0.3)

framed, compact = TTransport.TFramedTransport, TCompactProtocol.TCompactProtocol
th = serve(9091, framed, compact)
client(9091, framed, compact, [
    ('add', CALL, [(1, I32, -7), (2, I32, 3)]),
    ('Calc:echo', CALL, [(1, S, 'multiplexed')]),
    ('divide', CALL, [(1, I32, 9), (2, I32, 0)]),
    ('divide', CALL, [(1, I32, 9), (2, I32, 4)]),
    ('log', ONEWAY, [(1, S, 'compact oneway')]),
    ('ping', CALL, []),
])
th.join(5)
time.sleep(0.3)
PY
sleep 1
kill $tcpdump_pid
wait $tcpdump_pid 2>/dev/null || true
tcpdump_pid=
echo "wrote $out"
