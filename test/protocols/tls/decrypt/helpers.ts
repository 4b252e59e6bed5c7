/**
 * Test rig: a real capture -> the project's reader, decoder and TCP reassembler -> per connection a
 * TlsRecordReader -> hello facts from the plaintext ClientHello/ServerHello -> TlsDecryptor ->
 * the project's HTTP protocol handler fed with the decrypted application data. This is the wiring
 * the TLS session is meant to do, written test-side.
 */
import {readCapture} from '../../../../src/capture/reader.js'
import {Decoder} from '../../../../src/decode/decoder.js'
import {type DecodedPacket, IpProto} from '../../../../src/decode/types.js'
import {makeLimits} from '../../../../src/limits.js'
import {keyLogSecretsHandler} from '../../../../src/protocols/tls/decrypt/dsb.js'
import {createDecryptor, type DecryptAnomaly, type TlsDecryptor} from '../../../../src/protocols/tls/decrypt/decryptor.js'
import {clientHelloRandom, serverHelloFacts} from '../../../../src/protocols/tls/decrypt/hello.js'
import {KeyLog} from '../../../../src/protocols/tls/decrypt/keylog.js'
import {TlsRecordReader} from '../../../../src/protocols/tls/decrypt/record-reader.js'
import {protocol as http} from '../../../../src/protocols/http/index.js'
import type {Transaction} from '../../../../src/event/types.js'
import type {ProtocolContext} from '../../../../src/protocols/types.js'
import type {ConnInfo, Dir, Moment, StreamHandler} from '../../../../src/reassembly/types.js'
import {TcpReassembler} from '../../../../src/reassembly/tcp.js'
import {Stats} from '../../../../src/stats.js'

export interface ConnResult {
  clientPort: number
  version?: number
  suite?: number
  createFailure?: string
  records: [number, number]
  decrypted: [number, number]
  handshakeTypes: [number[], number[]]
  anomalies: string[]
  alerts: string[]
  appBytes: [number, number]
}

export interface SampleResult {
  conns: ConnResult[]
  txs: Transaction[]
  keylog: KeyLog
}

export async function decryptCapture(file: string, keylogFile?: string): Promise<SampleResult> {
  const limits = makeLimits()
  const stats = new Stats()
  const keylog = new KeyLog()
  if (keylogFile !== undefined) keylog.addFile(keylogFile)
  const txs: Transaction[] = []
  const conns: ConnResult[] = []
  const ctx: ProtocolContext = {limits, stats, options: {}, emit: (t) => txs.push(t)}
  const factory = {
    open(conn: ConnInfo): StreamHandler {
      const res: ConnResult = {
        clientPort: conn.clientPort,
        records: [0, 0],
        decrypted: [0, 0],
        handshakeTypes: [[], []],
        anomalies: [],
        alerts: [],
        appBytes: [0, 0],
      }
      conns.push(res)
      const inner = http.tcp!.create(conn, ctx)
      let clientRandom: Buffer | undefined
      let dec: TlsDecryptor<Moment> | null = null
      const sink = {
        applicationData(dir: Dir, data: Buffer, at: Moment) {
          res.appBytes[dir] += data.length
          inner.data(dir, data, at)
        },
        handshake(dir: Dir, type: number) {
          res.handshakeTypes[dir].push(type)
        },
        alert(dir: Dir, level: number, desc: number) {
          res.alerts.push(`${dir}:${level}:${desc}`)
        },
        anomaly(dir: Dir, code: DecryptAnomaly, detail: string, at: Moment) {
          res.anomalies.push(`${dir}:${code}: ${detail}`)
          inner.gap(dir, 0, at)
        },
      }
      const reader = new TlsRecordReader<Moment>({
        record(dir, type, version, fragment, at) {
          res.records[dir]++
          if (dec !== null) {
            dec.record(dir, type, version, fragment, at)
            return
          }
          if (type !== 22 || fragment.length < 4) return
          // Plaintext hellos: the first handshake message of the record.
          const body = fragment.subarray(4, 4 + ((fragment[1]! << 16) | (fragment[2]! << 8) | fragment[3]!))
          if (dir === 0 && fragment[0] === 1) clientRandom = clientHelloRandom(body)
          if (dir === 1 && fragment[0] === 2 && clientRandom !== undefined) {
            const sh = serverHelloFacts(body)
            if (sh === undefined || sh.helloRetryRequest) return
            res.version = sh.version
            res.suite = sh.cipherSuite
            const r = createDecryptor<Moment>(
              {version: sh.version, cipherSuite: sh.cipherSuite, clientRandom, serverRandom: sh.random, encryptThenMac: sh.encryptThenMac},
              keylog,
              sink,
              {maxMessageBytes: limits.maxMessageBytes},
            )
            if (r.ok) dec = r.decryptor
            else res.createFailure = r.reason
          }
        },
        stopped(dir, reason, at) {
          res.anomalies.push(`${dir}:reader-${reason}`)
          dec?.gap(dir, at)
        },
      })
      return {
        data: (dir, bytes, at) => reader.data(dir, bytes, at),
        gap: (dir, _n, at) => reader.gap(dir, at),
        end: (reason, at) => {
          if (dec !== null) res.decrypted = [dec.decrypted[0], dec.decrypted[1]]
          inner.end(reason, at)
        },
      }
    },
  }
  const tcp = new TcpReassembler(factory, limits, stats)
  const decoder = new Decoder(
    {
      ip(p: DecodedPacket) {
        if (p.proto === IpProto.TCP) tcp.segment(p)
      },
    },
    limits,
    stats,
  )
  let last: Moment = {frame: 0, tsSec: 0, tsNsec: 0}
  await readCapture(
    file,
    {
      packet(pk) {
        decoder.packet(pk)
        last = {frame: pk.frame, tsSec: pk.tsSec, tsNsec: pk.tsNsec}
      },
    },
    {limits, stats, onSecrets: keyLogSecretsHandler(keylog, file)},
  )
  tcp.end(last)
  return {conns, txs, keylog}
}
