/**
 * Batching, bounded in-flight sending, retries and loss accounting for the server outputs
 * (Elasticsearch, ClickHouse).
 *
 * Contract: add(item, bytes) appends to the open batch; a batch is sealed at `maxItems` items or
 * `maxBytes` bytes and sent at once when fewer than `inFlight` batches are being sent, else queued.
 * `blocked` is true while `inFlight` or more batches are sent or queued: the pipeline then awaits
 * drain() between input chunks, so at most inFlight batches are in flight plus what one input chunk
 * produces, whatever the server's speed (the bound the brief asks for; a test checks it).
 *
 * A batch attempt resolves to the items to retry (429, 5xx, a dropped connection: the whole batch
 * or single documents) and the items lost for good (with a reason). Retried items wait
 * min(backoffMax, backoffInit * 2^attempt) of wall time (data times never depend on it), at most
 * `retries` times; then they are lost with the reason `<reason> after N retries`. Lost items are
 * counted by reason; the first `warnFirst` are printed through warn().
 */
import type {OutputDelivery} from '../types.js'

export interface ShipperOptions {
  name: string
  maxItems: number
  maxBytes: number
  inFlight: number
  retries: number
  backoffInitMs: number
  backoffMaxMs: number
  warn(message: string): void
  warnFirst?: number
}

export interface Attempt<T> {
  /** Items to send again (with the reason, kept if the retries run out). */
  retry: {item: T; reason: string}[]
  /** Items lost for good; `detail` is the warning printed for the first few (default `lost: reason`). */
  failed: {item: T; reason: string; detail?: string}[]
}

export type SendBatch<T> = (items: T[]) => Promise<Attempt<T>>

export class Shipper<T> {
  private open: T[] = []
  private openBytes = 0
  private readonly queued: T[][] = []
  private active = 0
  private readonly waiters: (() => void)[] = []
  private sentCount = 0
  private failedCount = 0
  private warned = 0
  readonly reasons = new Map<string, number>()
  /** Most batches in flight at once so far (tests read it). */
  maxActive = 0
  /** Bulk requests made (attempts, retries included). */
  requests = 0

  constructor(
    private readonly o: ShipperOptions,
    private readonly send: SendBatch<T>,
  ) {}

  add(item: T, bytes: number): void {
    if (this.open.length > 0 && this.openBytes + bytes > this.o.maxBytes) this.seal()
    this.open.push(item)
    this.openBytes += bytes
    if (this.open.length >= this.o.maxItems || this.openBytes >= this.o.maxBytes) this.seal()
  }

  get blocked(): boolean {
    return this.active + this.queued.length >= this.o.inFlight
  }

  /** Items in the open (not yet sealed) batch. */
  get pending(): number {
    return this.open.length
  }

  /** Seals the open batch now (sent at once or queued), whatever its size. */
  sealNow(): void {
    this.seal()
  }

  /** Resolves when fewer than inFlight batches are sent or queued. */
  async drain(): Promise<void> {
    while (this.blocked) await new Promise<void>((r) => this.waiters.push(r))
  }

  /** Sends the open batch and waits for every batch to finish. */
  async end(): Promise<void> {
    this.seal()
    while (this.active > 0 || this.queued.length > 0) await new Promise<void>((r) => this.waiters.push(r))
  }

  /** Counts items lost before they could be sent (e.g. a document that cannot be serialised). */
  lose(reason: string, detail: string): void {
    this.failedCount++
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1)
    if (this.warned < (this.o.warnFirst ?? 5)) {
      this.warned++
      this.o.warn(`${this.o.name}: ${detail}`)
    }
  }

  delivery(): OutputDelivery {
    return {name: this.o.name, sent: this.sentCount, failed: this.failedCount, reasons: new Map(this.reasons)}
  }

  private seal(): void {
    if (this.open.length === 0) return
    const b = this.open
    this.open = []
    this.openBytes = 0
    if (this.active < this.o.inFlight) this.start(b)
    else this.queued.push(b)
  }

  private start(batch: T[]): void {
    this.active++
    if (this.active > this.maxActive) this.maxActive = this.active
    void this.ship(batch).finally(() => {
      this.active--
      const next = this.queued.shift()
      if (next) this.start(next)
      const w = this.waiters.splice(0)
      for (const r of w) r()
    })
  }

  private async ship(batch: T[]): Promise<void> {
    let items = batch
    for (let attempt = 0; ; attempt++) {
      this.requests++
      let res: Attempt<T>
      try {
        res = await this.send(items)
      } catch (e) {
        // send() is expected to classify its errors; anything else loses the batch, loudly.
        res = {retry: [], failed: items.map((item) => ({item, reason: (e as Error).message}))}
      }
      for (const f of res.failed) this.lose(f.reason, f.detail ?? `lost: ${f.reason}`)
      this.sentCount += items.length - res.retry.length - res.failed.length
      if (res.retry.length === 0) return
      if (attempt >= this.o.retries) {
        for (const r of res.retry) {
          const reason = `${r.reason} after ${this.o.retries} retries`
          this.lose(reason, `lost: ${reason}`)
        }
        return
      }
      items = res.retry.map((r) => r.item)
      const wait = Math.min(this.o.backoffMaxMs, this.o.backoffInitMs * 2 ** attempt)
      await new Promise((r) => setTimeout(r, wait))
    }
  }
}
