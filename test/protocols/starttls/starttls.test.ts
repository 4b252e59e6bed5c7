/**
 * STARTTLS (src/protocols/starttls): the upgrade command and its positive reply hand the rest of
 * the connection to the TLS session; a refusal does not; the TLS event carries pbx.starttls.
 */
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {upgradeCommand, upgradeReply, xmppCommand} from '../../../src/protocols/starttls/parser.js'
import {analyzeToNdjson} from '../../helpers/analyze-to-string.js'
import {pcapFile, TcpConversation} from '../../support/synth/packets.js'
import {clientHello, ext, record, serverHello} from '../tls/helpers.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'pbx-starttls-'))

async function run(c: TcpConversation) {
  const f = path.join(tmp, `c${Math.random().toString(36).slice(2)}.pcap`)
  writeFileSync(f, pcapFile(c.frames))
  const {text} = await analyzeToNdjson([f])
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

const CH = record(22, clientHello({ciphers: [0xc02f, 0x009c], extensions: [ext.sni('mail.example.org')]}), 0x0301)
const SH = record(22, serverHello({cipher: 0xc02f}))

function dialogue(port: number, lines: [side: 'client' | 'server', text: string][], tls = true) {
  const c = new TcpConversation({client: '10.1.0.1', server: '10.1.0.2', clientPort: 40100, serverPort: port})
  c.handshake()
  for (const [side, text] of lines) c.send(side, text)
  if (tls) c.send('client', CH).send('server', SH)
  c.close()
  return c
}

describe('STARTTLS', () => {
  it('SMTP: after "STARTTLS" and "220" the connection is a TLS session with its fingerprint', async () => {
    const c = dialogue(25, [
      ['server', '220 mx ESMTP\r\n'],
      ['client', 'EHLO me\r\n'],
      ['server', '250-mx\r\n250 STARTTLS\r\n'],
      ['client', 'STARTTLS\r\n'],
      ['server', '220 2.0.0 Ready to start TLS\r\n'],
    ])
    const evs = await run(c)
    expect(evs).toHaveLength(1)
    expect(evs[0].type).toBe('tls')
    expect(evs[0].tls.client.server_name).toBe('mail.example.org')
    expect(evs[0].tls.cipher).toBe('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')
    expect(evs[0].tls.client.ja3).toMatch(/^[0-9a-f]{32}$/)
    expect(evs[0].pbx.starttls).toMatchObject({protocol: 'smtp', command: 'STARTTLS'})
  })

  it('IMAP with a reply split across segments, and POP3 STLS', async () => {
    const imap = dialogue(143, [
      ['server', '* OK IMAP ready\r\n'],
      ['client', 'a1 STARTTLS\r\n'],
      ['server', 'a1 O'],
      ['server', 'K Begin TLS\r\n'],
    ])
    const e1 = await run(imap)
    expect(e1.map((e) => [e.type, e.pbx.starttls?.protocol, e.pbx.starttls?.command])).toEqual([['tls', 'imap', 'a1 STARTTLS']])
    const pop = dialogue(110, [
      ['server', '+OK POP3\r\n'],
      ['client', 'STLS\r\n'],
      ['server', '+OK go\r\n'],
    ])
    expect((await run(pop)).map((e) => e.pbx.starttls?.protocol)).toEqual(['pop3'])
  })

  it('a refused upgrade is not followed: bytes after it are not taken for TLS', async () => {
    const c = dialogue(25, [
      ['server', '220 mx ESMTP\r\n'],
      ['client', 'STARTTLS\r\n'],
      ['server', '454 TLS not available\r\n'],
    ])
    expect(await run(c)).toEqual([])
  })

  it('recognises the commands and replies of each protocol', () => {
    expect(upgradeCommand('starttls')?.kind).toBe('smtp')
    expect(upgradeCommand('AUTH TLS')?.kind).toBe('ftp')
    expect(upgradeCommand('x STARTTLS')).toMatchObject({kind: 'imap', tag: 'x'})
    expect(upgradeCommand('MAIL FROM:<a@b>')).toBeUndefined()
    const ftp = upgradeCommand('AUTH TLS')!
    expect(upgradeReply(ftp, '234 AUTH TLS OK.')).toBe(true)
    expect(upgradeReply(ftp, '500 no')).toBe(false)
    const imap = upgradeCommand('x STARTTLS')!
    expect(upgradeReply(imap, '* CAPABILITY IMAP4rev1')).toBeUndefined()
    expect(upgradeReply(imap, 'x NO later')).toBe(false)
    expect(upgradeReply({kind: 'smtp', command: 'STARTTLS'}, '220-wait')).toBeUndefined()
  })

  it('hand matching agrees with the grammar it replaces, on crafted and random lines', () => {
    // Reference grammar, evaluated here in the test only (the engine runs no RegExp on packet data).
    const refImap = (t: string) => /^(\S+) STARTTLS$/i.exec(t.trim())?.[1]
    const refXmpp = (t: string) => /<starttls[\s/>]/.test(t)
    const refCode = (l: string, ok: string) => (/^\d{3}-/.test(l) ? undefined : /^\d{3}/.test(l) ? l.startsWith(ok) : undefined)
    const crafted = [
      'a STARTTLS', 'A1 starttls', ' a1 StartTLS ', 'a  STARTTLS', 'a\tSTARTTLS', 'a b STARTTLS', 'STARTTLS', ' STARTTLS',
      'a STARTTLSX', 'a\u00a0b STARTTLS', 'tag STARTTL', '<starttls/>', '<starttls xmlns="x"/>', '<starttls>', '<starttlsx/>',
      '<starttls', 'x<starttls\t', '<STARTTLS/>', '220 go', '220-wait', '22', '2a0 x', '234', '234-more', '454 no', '',
    ]
    let seed = 7
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0
      return seed
    }
    const alphabet = ['a', 'S', 'T', 'A', 'R', 'L', 's', 't', ' ', '\t', '\u00a0', '2', '3', '4', '0', '-', '<', '>', '/', 'starttls', 'STARTTLS', '<starttls']
    const random = Array.from({length: 3000}, () => Array.from({length: rnd() % 8}, () => alphabet[rnd() % alphabet.length]).join(''))
    for (const line of [...crafted, ...random]) {
      const u = upgradeCommand(line)
      const tag = refImap(line)
      if (u?.kind === 'imap' || u === undefined) expect([line, u?.tag]).toEqual([line, tag])
      expect([line, xmppCommand(line) !== undefined]).toEqual([line, refXmpp(line)])
      expect([line, upgradeReply({kind: 'smtp', command: 'STARTTLS'}, line)]).toEqual([line, refCode(line, '220')])
      expect([line, upgradeReply({kind: 'ftp', command: 'AUTH TLS'}, line)]).toEqual([line, refCode(line, '234')])
    }
  })
})
