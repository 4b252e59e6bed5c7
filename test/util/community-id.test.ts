import {describe, expect, it} from 'vitest'
import {communityId, communityIdFromStrings} from '../../src/util/community-id.js'
import {parseIp} from '../../src/util/ip.js'

// Published vectors from corelight/community-id-spec: baseline/baseline_deflt.json (seed 0, produced
// by pycommunityid over the spec's pcaps) and the seed=1 table of baseline/README.md.
// [proto, saddr, daddr, sport, dport, expected]; ports are null for port-less protocols.
type Vec = [number, string, string, number | null, number | null, string]

const DEFAULT_SEED: Vec[] = [
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 135, 136, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 136, 135, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 135, 136, '1:zavyT/cezQr1fmImYCwYnMXbgck='],
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 136, 135, '1:zavyT/cezQr1fmImYCwYnMXbgck='],
  [58, '3ffe:501:1800:2345::2', '3ffe:507:0:1:200:86ff:fe05:80da', 3, 0, '1:2ObVBgIn28oZvibYZhZMBgh7WdQ='],
  [58, '3ffe:501:410:0:2c0:dfff:fe47:33e', '3ffe:507:0:1:200:86ff:fe05:80da', 1, 4, '1:hLZd0XGWojozrvxqE0dWB1iM6R0='],
  [58, '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:501:0:1001::2', 128, 129, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg='],
  [58, '3ffe:501:0:1001::2', '3ffe:507:0:1:200:86ff:fe05:80da', 129, 128, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg='],
  [58, 'fe80::200:86ff:fe05:80da', 'ff02::2', 133, 134, '1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0='],
  [58, 'fe80::260:97ff:fe07:69ea', 'ff02::1', 134, 133, '1:pkvHqCL88/tg1k4cPigmZXUtL00='],
  [1, '192.168.0.89', '192.168.0.1', 8, 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  [1, '192.168.0.1', '192.168.0.89', 0, 8, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk='],
  [1, '10.0.0.1', '10.0.0.2', 11, 0, '1:YHxtAirCG//0OzkcVAukqKQN9xM='],
  [6, '2001:470:e5bf:dead:4957:2174:e82c:4887', '2607:f8b0:400c:c03::1a', 63943, 25, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4='],
  [6, '2607:f8b0:400c:c03::1a', '2001:470:e5bf:dead:4957:2174:e82c:4887', 25, 63943, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4='],
  [132, '192.168.170.8', '192.168.170.56', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs='],
  [132, '192.168.170.56', '192.168.170.8', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs='],
  [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  [6, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg='],
  [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  [17, '8.8.8.8', '192.168.1.52', 53, 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ='],
  [46, '10.1.12.1', '10.1.12.2', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw='],
  [46, '10.1.12.2', '10.1.12.1', null, null, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw='],
  // baseline/README.md "Default settings" table
  [6, '1.2.3.4', '5.6.7.8', 1122, 3344, '1:wCb3OG7yAFWelaUydu0D+125CLM='],
  [6, '5.6.7.8', '1.2.3.4', 3344, 1122, '1:wCb3OG7yAFWelaUydu0D+125CLM='],
  [17, '1.2.3.4', '5.6.7.8', 1122, 3344, '1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg='],
  [132, '5.6.7.8', '1.2.3.4', 3344, 1122, '1:EKt4MsxuyaE6mL+hmrEkQ9csDD8='],
  [1, '1.2.3.4', '5.6.7.8', 8, 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0='],
  [1, '5.6.7.8', '1.2.3.4', 0, 0, '1:crodRHL2FEsHjbv3UkRrfbs4bZ0='],
  [1, '1.2.3.4', '5.6.7.8', 11, 0, '1:f/YiSyWqczrTgfUCZlBUnvHRcPk='],
  [58, 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 128, 0, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo='],
  [58, 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 129, 0, '1:0bf7hyMJUwt3fMED7z8LIfRpBeo='],
  [58, 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 146, 0, '1:fYC8+pz24E+EhANP1EZhpX0Dw10='],
  [46, '1.2.3.4', '5.6.7.8', null, null, '1:ikv3kmf89luf73WPz1jOs49S768='],
  [46, 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', null, null, '1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0='],
]

const SEED_1: Vec[] = [
  [6, '1.2.3.4', '5.6.7.8', 1122, 3344, '1:HhA1B+6CoLbiKPEs5nhNYN4XWfk='],
  [17, '5.6.7.8', '1.2.3.4', 3344, 1122, '1:OShq+iKDAMVouh/4bMxB9Sz4amw='],
  [132, '1.2.3.4', '5.6.7.8', 1122, 3344, '1:uitchpn5MMGAQKBJh7bIr/bAr7s='],
  [1, '5.6.7.8', '1.2.3.4', 0, 0, '1:9pr4ZGTICiuZoIh90RRYE2RyXpU='],
  [1, '1.2.3.4', '5.6.7.8', 11, 0, '1:1DD7cWGC/Yg91YGsQeni8du3pIA='],
  [58, 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 129, 0, '1:IO27GQzPuCtNnwFvjWALMHu5tJE='],
  [58, 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', 146, 0, '1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s='],
  [46, 'fe80:0001:0203:0405:0607:0809:0A0B:0C0D', 'fe80:1011:1213:1415:1617:1819:1A1B:1C1D', null, null, '1:j6EyyfBzL4vWKHFXgUqb5Az3OxM='],
]

describe('communityId (published spec baselines)', () => {
  it.each(DEFAULT_SEED)('seed 0: proto %i %s -> %s (%s/%s)', (proto, s, d, sp, dp, want) => {
    expect(communityIdFromStrings(s, d, proto, sp ?? 0, dp ?? 0)).toBe(want)
  })

  it.each(SEED_1)('seed 1: proto %i %s -> %s (%s/%s)', (proto, s, d, sp, dp, want) => {
    expect(communityIdFromStrings(s, d, proto, sp ?? 0, dp ?? 0, 1)).toBe(want)
  })

  it('the word form agrees with the string form, including words held as signed int32', () => {
    const s = parseIp('2001:470:e5bf:dead:4957:2174:e82c:4887').words
    const d = parseIp('2607:f8b0:400c:c03::1a').words
    const got = communityId(6, 6, s[0] | 0, s[1] | 0, s[2] | 0, s[3] | 0, d[0] | 0, d[1] | 0, d[2] | 0, d[3] | 0, 63943, 25)
    expect(got).toBe('1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=')
    const v4s = parseIp('192.168.1.52').words[0]
    const v4d = parseIp('8.8.8.8').words[0]
    expect(communityId(4, 17, v4d | 0, 0, 0, 0, v4s | 0, 0, 0, 0, 53, 54585)).toBe('1:d/FP5EW3wiY1vCndhwleRRKHowQ=')
  })

  it('one-way ICMP types are not flipped: the two directions differ', () => {
    const a = communityIdFromStrings('10.0.0.2', '10.0.0.1', 1, 3, 1)
    const b = communityIdFromStrings('10.0.0.1', '10.0.0.2', 1, 3, 1)
    expect(a).not.toBe(b)
    expect(a).toMatch(/^1:[A-Za-z0-9+/]{27}=$/)
  })

  it('returns an empty string for unparsable or mixed-family addresses', () => {
    expect(communityIdFromStrings('1.2.3', '5.6.7.8', 6, 1, 2)).toBe('')
    expect(communityIdFromStrings('1.2.3.4', '::1', 6, 1, 2)).toBe('')
  })
})

describe('sha1Base64 (the one-block SHA-1 behind communityId)', () => {
  it('equals node:crypto for every length 0..64 and random bytes', async () => {
    const {createHash, randomBytes} = await import('node:crypto')
    const {sha1Base64} = await import('../../src/util/community-id.js')
    for (let n = 0; n <= 64; n++) {
      for (let k = 0; k < 20; k++) {
        const b = k === 0 ? Buffer.alloc(n, 0xff) : randomBytes(n)
        expect(sha1Base64(b)).toBe(createHash('sha1').update(b).digest('base64'))
      }
    }
  })
})
