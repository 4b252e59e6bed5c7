/**
 * NFS against tshark, capture by capture: every corpus capture (../shared/corpus, read in place)
 * whose oracle counts RPC or NFS frames, and every sample under samples/nfs. The oracle files only
 * count those frames, so tshark (which CI has) is run here on the capture (`-T json
 * --no-duplicate-keys`) and its RPC messages are paired by conversation and xid as pbx pairs them.
 *
 * Transaction key: "xid vVERSION OPS RPC_STATUS NFS_STATUS FAILED_OP" where OPS is the v2/v3
 * procedure, or every operation of a v4 COMPOUND joined by "+", and "-" stands for absent (a call
 * with no reply has neither status). tshark's numbers are rendered with pbx's name tables
 * (src/protocols/nfs/names.ts): the comparison checks what was decoded, not how it is spelled.
 * Only program 100003 is compared. Keys are compared as multisets; a difference fails the test.
 * One rendering rule: where the server answered an operation it does not know with ILLEGAL, the
 * failing op is the call's operation at that position (pbx reports that, with NFSERR_OP_ILLEGAL).
 */
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {acceptStatName, opName, procName, rejectStatName, statusName} from '../../src/protocols/nfs/names.js'
import {analyzeToNdjson} from '../helpers/analyze-to-string.js'
import {ROOT} from '../helpers/run-cli.js'

const CORPUS = path.resolve(ROOT, '../shared/corpus')
const CAPTURE = /\.(pcap|pcapng|cap)$/
type J = Record<string, any>

function captures(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {withFileTypes: true})
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((d) => {
      const p = path.join(dir, d.name)
      return d.isDirectory() ? captures(p) : CAPTURE.test(d.name) ? [p] : []
    })
}

function hasRpc(file: string): boolean {
  const o = file.replace(CAPTURE, '.expected.json')
  if (!existsSync(o)) return false
  const fp = JSON.parse(readFileSync(o, 'utf8')).totals?.frames_per_protocol ?? {}
  return (fp.rpc ?? 0) > 0 || (fp.nfs ?? 0) > 0
}

/** The first value of `key` anywhere in `o` (depth first). */
function find(o: unknown, key: string): unknown {
  if (o === null || typeof o !== 'object') return undefined
  for (const [k, v] of Object.entries(o as J)) {
    if (k === key) return v
    const r = find(v, key)
    if (r !== undefined) return r
  }
  return undefined
}
const num = (v: unknown): number | undefined => (v === undefined ? undefined : Number(Array.isArray(v) ? v[0] : v))
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])

interface TsCall {
  vers: number
  ops: string
  opList: string[]
}

function tsharkKeys(file: string): string[] {
  const json = execFileSync('tshark', ['-r', file, '-n', '-Y', 'rpc', '-T', 'json', '--no-duplicate-keys'], {maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore']}).toString()
  const frames: J[] = JSON.parse(json)
  const pending = new Map<string, TsCall>()
  const keys: string[] = []
  for (const fr of frames) {
    const l = fr._source.layers as J
    const conv = l.tcp !== undefined ? `t${l.tcp['tcp.stream']}` : `u${l.udp?.['udp.stream']}`
    const rpcs = list<J>(l.rpc)
    const nfss = list<J>(l.nfs)
    let n = 0
    for (const rpc of rpcs) {
      const xid = Number(rpc['rpc.xid']).toString(16).padStart(8, '0')
      const id = `${conv} ${xid}`
      if (rpc['rpc.msgtyp'] === '0') {
        if (rpc['rpc.program'] !== '100003') continue
        const nfs = nfss[n++] ?? {}
        const vers = Number(rpc['rpc.programversion'])
        const proc = Number(rpc['rpc.procedure'])
        let ops = procName(vers, proc)
        const opList = vers === 4 && proc === 1 ? list<string>(find(nfs, 'nfs.opcode') as string[]).map((o) => opName(Number(o)) ?? `OP_${o}`) : []
        if (vers === 4 && proc === 1) ops = opList.join('+')
        if (!pending.has(id)) pending.set(id, {vers, ops, opList})
        continue
      }
      const c = pending.get(id)
      if (c === undefined) continue // a reply to another program, or a duplicate
      pending.delete(id)
      const nfs = nfss[n++] ?? {}
      const replystat = num(rpc['rpc.replystat'])
      let rpcStatus: string
      let st = '-'
      let failed = '-'
      if (replystat === 0) {
        const acc = num(find(rpc, 'rpc.state_accept')) ?? 0
        rpcStatus = acceptStatName(acc)
        if (acc === 0) {
          const s = num(c.vers === 4 ? nfs['nfs.nfsstat4'] : (nfs['nfs.status3'] ?? nfs['nfs.status2'] ?? nfs['nfs.status'])) ?? 0
          st = statusName(s)
          if (c.vers === 4 && s !== 0) {
            const ops = list<string>(find(nfs, 'nfs.opcode') as string[])
            // a server that does not know an operation answers it as ILLEGAL: the call's operation
            // at that position is the one that failed (pbx names it, with status NFSERR_OP_ILLEGAL)
            if (ops.length > 0) failed = ops[ops.length - 1] === '10044' ? (c.opList[ops.length - 1] ?? 'ILLEGAL') : (opName(Number(ops[ops.length - 1])) ?? '-')
          }
        }
      } else rpcStatus = rejectStatName(num(find(rpc, 'rpc.state_reject')) ?? 0)
      keys.push(`${xid} v${c.vers} ${c.ops} ${rpcStatus} ${st} ${failed}`)
    }
  }
  for (const [id, c] of pending) keys.push(`${id.split(' ')[1]} v${c.vers} ${c.ops} - - -`)
  return keys
}

function pbxKeys(events: J[]): string[] {
  return events
    .filter((e) => e.type === 'nfs' && e.nfs !== undefined)
    .map((e) => {
      const ops = e.nfs.version === 4 && Array.isArray(e.nfs.ops) ? e.nfs.ops.join('+') : e.nfs.opcode
      return `${e.rpc.xid} v${e.nfs.version} ${ops} ${e.rpc.status ?? '-'} ${e.nfs.status ?? '-'} ${e.nfs.failed_op ?? '-'}`
    })
}

const files = [...captures(CORPUS).filter(hasRpc), ...captures(path.join(ROOT, 'samples/nfs'))]
const total = {captures: 0, transactions: 0}

describe('nfs vs tshark', () => {
  it('has NFS captures in the corpus and the samples', () => {
    expect(files.filter((f) => f.startsWith(CORPUS)).length).toBeGreaterThanOrEqual(5)
    expect(files.filter((f) => f.includes(`${path.sep}samples${path.sep}`)).length).toBeGreaterThanOrEqual(1)
  })

  for (const file of files) {
    const rel = file.startsWith(CORPUS) ? path.relative(CORPUS, file) : path.relative(ROOT, file)
    it(rel, async () => {
      const {text} = await analyzeToNdjson([file])
      const events = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as J)
      const want = tsharkKeys(file).sort()
      const got = pbxKeys(events).sort()
      expect(want.length, 'tshark sees NFS transactions').toBeGreaterThan(0)
      expect(got, `pbx vs tshark NFS transactions in ${rel}`).toEqual(want)
      // roles: the server is the 2049 side even where the client's port is privileged too and the
      // capture starts mid-connection (the declared NFS server port decides)
      expect(events.filter((e) => e.type === 'nfs').map((e) => e.server.port)).toEqual(events.filter((e) => e.type === 'nfs').map(() => 2049))
      total.captures++
      total.transactions += want.length
    })
  }

  afterAll(() => {
    console.log(`nfs vs tshark: ${total.captures} captures, ${total.transactions} transactions agree (xid, version, procedure / every compound op, rpc status, nfs status, failing op)`)
  })
})
