/**
 * NSS key log files (https://firefox-source-docs.mozilla.org/security/nss/legacy/key_log_format/,
 * draft-ietf-tls-keylogfile): one `LABEL <client_random hex> <secret hex>` per line, `#` comments.
 * Written by curl, browsers, `openssl s_client -keylogfile`, Node (`tlsSocket.on('keylog')`) and
 * embedded in pcapng Decryption Secrets Blocks ('TLSK', see ./dsb.ts).
 *
 * The store is keyed by the 32-byte client random (as lower-case hex, built once per lookup, i.e.
 * once per connection). Lines are parsed as they are added; a line that cannot be used is counted
 * in `stats.bad` (with the first few reasons kept in `problems`), never thrown. A later entry for
 * the same client random and label replaces the earlier one.
 *
 * Sources: addFile() (`--tls-keylog FILE`, `SSLKEYLOGFILE`, `tls.keylog_file`: the command layer
 * picks the path), addText() (a DSB's bytes, tests). Reading the file is the only thing that
 * throws: KeyLogError with the path and the reason.
 */
import {readFileSync} from 'node:fs'

/** Secrets known for one connection (by its client random). All optional: a log may be partial. */
export interface TlsSecrets {
  /** TLS <= 1.2: the 48-byte master secret (CLIENT_RANDOM). */
  master?: Buffer
  /** TLS 1.3 (RFC 8446 §7.1). */
  clientEarly?: Buffer
  clientHandshake?: Buffer
  serverHandshake?: Buffer
  clientTraffic0?: Buffer
  serverTraffic0?: Buffer
  exporter?: Buffer
  earlyExporter?: Buffer
}

const LABELS: Record<string, keyof TlsSecrets> = {
  CLIENT_RANDOM: 'master',
  CLIENT_EARLY_TRAFFIC_SECRET: 'clientEarly',
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'clientHandshake',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 'serverHandshake',
  CLIENT_TRAFFIC_SECRET_0: 'clientTraffic0',
  SERVER_TRAFFIC_SECRET_0: 'serverTraffic0',
  EXPORTER_SECRET: 'exporter',
  EARLY_EXPORTER_SECRET: 'earlyExporter',
}

/**
 * Labels understood but not used: `RSA` lines (first 8 bytes of the encrypted pre-master secret ->
 * pre-master secret; the same connections also get a CLIENT_RANDOM line from every current
 * writer) and `PMS_CLIENT_RANDOM` (pre-master by client random; would need the extended master
 * secret's session hash). Counted as `unused`, not bad.
 */
const UNUSED_LABELS = new Set(['RSA', 'PMS_CLIENT_RANDOM'])

/** How many problem descriptions are kept (the count in stats.bad is exact). */
export const KEYLOG_PROBLEMS_KEPT = 10

export class KeyLogError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`)
  }
}

export interface KeyLogStats {
  /** Non-empty, non-comment lines seen. */
  lines: number
  /** Lines stored. */
  entries: number
  /** Lines that could not be used (unknown label, bad hex, wrong lengths). */
  bad: number
  /** Lines with a known but unused label (RSA, PMS_CLIENT_RANDOM). */
  unused: number
}

const HEX = /^[0-9a-fA-F]+$/

export class KeyLog {
  private readonly byRandom = new Map<string, TlsSecrets>()
  readonly stats: KeyLogStats = {lines: 0, entries: 0, bad: 0, unused: 0}
  /** The first KEYLOG_PROBLEMS_KEPT bad lines: `source:line: reason`. */
  readonly problems: string[] = []

  /** Connections (client randoms) with at least one secret. */
  get size(): number {
    return this.byRandom.size
  }

  /** Reads a key log file. Throws KeyLogError if it cannot be read; its lines never throw. */
  addFile(path: string): void {
    let text: string
    try {
      text = readFileSync(path, 'latin1')
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      throw new KeyLogError(path, code === 'ENOENT' ? 'no such key log file' : `cannot read key log (${code ?? (e as Error).message})`)
    }
    this.addText(text, path)
  }

  /** Parses key log text (a file's content, a DSB's secrets bytes). `source` names it in problems. */
  addText(text: string | Buffer, source: string): void {
    const s = typeof text === 'string' ? text : text.toString('latin1')
    let lineNo = 0
    let start = 0
    while (start <= s.length) {
      let end = s.indexOf('\n', start)
      if (end < 0) end = s.length
      lineNo++
      const problem = this.addLine(s.slice(start, end))
      if (problem !== null) this.bad(source, lineNo, problem)
      start = end + 1
    }
  }

  private bad(source: string, line: number, reason: string): void {
    this.stats.bad++
    if (this.problems.length < KEYLOG_PROBLEMS_KEPT) this.problems.push(`${source}:${line}: ${reason}`)
  }

  /** Stores one line; returns what is wrong with it, or null. */
  private addLine(raw: string): string | null {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return null
    this.stats.lines++
    const parts = line.split(/\s+/)
    const label = parts[0]!
    if (UNUSED_LABELS.has(label)) {
      this.stats.unused++
      return null
    }
    const key = LABELS[label]
    if (key === undefined) return `unknown label ${label.slice(0, 40)}`
    if (parts.length !== 3) return `${label}: expected 3 fields, got ${parts.length}`
    const random = parts[1]!
    const secret = parts[2]!
    if (random.length !== 64 || !HEX.test(random)) return `${label}: client random is not 32 bytes of hex`
    if (secret.length % 2 !== 0 || !HEX.test(secret)) return `${label}: secret is not hex`
    const len = secret.length / 2
    if (key === 'master' ? len !== 48 : len !== 32 && len !== 48) {
      return `${label}: secret of ${len} bytes`
    }
    const id = random.toLowerCase()
    let entry = this.byRandom.get(id)
    if (entry === undefined) {
      entry = {}
      this.byRandom.set(id, entry)
    }
    entry[key] = Buffer.from(secret, 'hex')
    this.stats.entries++
    return null
  }

  /** Every entry, as plain data a worker thread can be given (structured clone; see restore). */
  snapshot(): [string, Record<string, Uint8Array>][] {
    return [...this.byRandom].map(([id, e]) => [id, {...e} as Record<string, Uint8Array>])
  }

  /** A KeyLog holding a snapshot's entries (in a worker thread of the run). */
  static restore(entries: readonly [string, Record<string, Uint8Array>][]): KeyLog {
    const k = new KeyLog()
    for (const [id, e] of entries) {
      const entry: Record<string, Buffer> = {}
      for (const [key, v] of Object.entries(e)) entry[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength)
      k.byRandom.set(id, entry as TlsSecrets)
    }
    return k
  }

  /** Secrets for the connection with this 32-byte client random, or undefined. */
  get(clientRandom: Buffer): TlsSecrets | undefined {
    if (clientRandom.length !== 32) return undefined
    return this.byRandom.get(clientRandom.toString('hex'))
  }
}

/**
 * The run's key log: one KeyLog filled from the key log files named by the user, in this order:
 * `--tls-keylog FILE`, the SSLKEYLOGFILE environment variable, the config's `tls.keylog_file`
 * (each as given, relative to the working directory; unset or empty ones are skipped). pcapng
 * Decryption Secrets Blocks are added while the captures are read. A file that cannot be read
 * throws an Error naming where its name came from: `--tls-keylog: FILE: no such key log file`.
 */
export function runKeyLog(files: readonly {from: string; path: unknown}[]): KeyLog {
  const k = new KeyLog()
  for (const f of files) {
    if (typeof f.path !== 'string' || f.path === '') continue
    try {
      k.addFile(f.path)
    } catch (e) {
      if (e instanceof KeyLogError) throw new Error(`${f.from}: ${e.message}`)
      throw e
    }
  }
  return k
}
