/**
 * Where pbx and the tshark oracle disagree on DNS or TLS in a corpus capture, the difference is
 * recorded here with the reason (tshark wrong / pbx deliberately different / pbx limitation /
 * pbx bug). test/corpus/dns-tls.test.ts checks that each recorded difference is still exactly the
 * difference, so an entry cannot silently go stale. Keys are paths relative to ../shared/corpus;
 * `missing` are oracle keys pbx does not report, `extra` are pbx keys the oracle does not have.
 * Key shapes: DNS "id qname qtype rcode"; DNS answers "<DNS key> => name type ttl data";
 * TLS "sni version ja3 cipher" ("-" for absent).
 */
export interface Exception {
  why: string
  missing: string[]
  extra: string[]
}

export const DNS_EXCEPTIONS: Record<string, Exception> = {
  "zeek/dns-inverse-query.pcap": {
    why: "IQUERY (RFC 1035 §6.4): the query has no question; tshark keys the pair by the query (empty qname), pbx takes the question '[4.3.2.1]' supplied by the inverse response: pbx deliberately different",
    missing: ["34798  - NOERROR"],
    extra: ["34798 [4.3.2.1] A NOERROR"],
  },
  "zeek/dns/dns-invalid-names.pcap": {
    why: "tshark puts its error text '<name contains a pointer that loops>' in qname; pbx reports no name for the looping compression pointer (and notes it): pbx deliberately different",
    missing: ["8739 <name contains a pointer that loops> A -"],
    extra: ["8739  - -"],
  },
  "zeek/dns/dns_extended_rcode.pcap": {
    why: "tshark key shows the 4-bit header rcode; pbx combines the OPT record's higher bits (0x01, RFC 6891 §6.1.3) into extended rcode 16 = BADVERS, which is right",
    missing: ["42 test.example.com A NOERROR"],
    extra: ["42 test.example.com A BADVERS"],
  },
  "zeek/dns/mdns-no-assoc.pcap": {
    why: "pbx bug: mDNS messages (id 0, multicast, RFC 6762 §18.1) are paired by id on the flow, so a response is attached to a query whose question it does not answer (tshark pairs some of them too, differently); here the 'unrelated-reply' response (no question) is given initial-query-aaaa.local's question, the case this Zeek test exists for",
    missing: ["0  - NOERROR", "0 initial-query-aaaa.local AAAA -"],
    extra: ["0 initial-query-aaaa.local AAAA NOERROR"],
  },
  "zeek/dns/mdns.pcap": {
    why: "pbx bug: mDNS messages (id 0, multicast, RFC 6762 §18.1) are paired by id on the flow, so a response is attached to a query whose question it does not answer (tshark pairs some of them too, differently)",
    missing: ["0 4.c.d.4.1.e.e.f.f.f.6.d.c.3.8.8.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa ANY -", "0 4.c.d.4.1.e.e.f.f.f.6.d.c.3.8.8.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa ANY -", "0 _ipp._tcp.local PTR NOERROR", "0 _ipp._tcp.local PTR NOERROR"],
    extra: ["0 4.c.d.4.1.e.e.f.f.f.6.d.c.3.8.8.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa ANY NOERROR", "0 4.c.d.4.1.e.e.f.f.f.6.d.c.3.8.8.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa ANY NOERROR", "0 _ipp._tcp.local PTR -", "0 _ipp._tcp.local PTR -"],
  },
}

export const DNS_ANSWER_EXCEPTIONS: Record<string, Exception> = {
  "zeek/dns-txt-multiple.pcap": {
    why: "oracle limitation: a TXT record with several <character-string>s repeats dns.txt in tshark's JSON and the oracle kept only the last string; pbx reports all strings",
    missing: ["28079 flkr._domainkey.flickr.com TXT NOERROR => fa14._domainkey.yahoo.com txt 7200 \"hsrdi23pu+houqj6erge1iosl6loegg6yt53vmb8z6uibssyplrdec+8cuiktlmlxjaurk5bnrkv1atgzgfpf3tjztwwidaqab\""],
    extra: ["28079 flkr._domainkey.flickr.com TXT NOERROR => fa14._domainkey.yahoo.com txt 7200 \"k=rsa; p=migfma0gcsqgsib3dqebaquaa4gnadcbiqkbgqdpdpfyjm2r2gqmyzm1fltzfediu+e7kmikrw5yz3xht+cgeiihmm5ligbuwcc5rtiy0ccxeppqccpkjn\" \"hsrdi23pu+houqj6erge1iosl6loegg6yt53vmb8z6uibssyplrdec+8cuiktlmlxjaurk5bnrkv1atgzgfpf3tjztwwidaqab\""],
  },
  "zeek/dns/dynamic-update.pcap": {
    why: "UPDATE (opcode 5): the answer section is the Prerequisite section (RFC 2136 §2.4); tshark lists it as prerequisites, pbx keeps it in dns.answers as Packetbeat does (class NONE/ANY, empty rdata '\\# 0'): pbx deliberately different",
    missing: [],
    extra: ["47952 stratolab.org SOA REFUSED => nwin2.stratolab.org cname 0 \\# 0", "61191 stratolab.org SOA NOERROR => nwin1.stratolab.org cname 0 \\# 0"],
  },
  "zeek/ipv6-fragmented-dns.pcap": {
    why: "oracle limitation: multi-string TXT records, the oracle kept only the last dns.txt string; pbx reports all of them",
    missing: ["3903 txtpadding_323.n1.netalyzr.icsi.berkeley.edu TXT NOERROR => txtpadding_323.n1.netalyzr.icsi.berkeley.edu txt 1 \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"", "40849 txtpadding_3230.n1.netalyzr.icsi.berkeley.edu TXT NOERROR => txtpadding_3230.n1.netalyzr.icsi.berkeley.edu txt 1 \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""],
    extra: ["3903 txtpadding_323.n1.netalyzr.icsi.berkeley.edu TXT NOERROR => txtpadding_323.n1.netalyzr.icsi.berkeley.edu txt 1 \"this txt record should be ignored\" \"as it is just padding\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"", "40849 txtpadding_3230.n1.netalyzr.icsi.berkeley.edu TXT NOERROR => txtpadding_3230.n1.netalyzr.icsi.berkeley.edu txt 1 \"this txt record should be ignored\" \"as it is just padding\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""],
  },
}

export const TLS_EXCEPTIONS: Record<string, Exception> = {
  "arkime/tls13.pcap": {
    why: "pbx deliberately leaves tls.version absent for TLS 1.3 draft versions (tshark's negotiated_version is the draft code); the draft is in tls.detailed.version",
    missing: ["blog.cloudflare.com 0x7f12 4826a90ec2daf4f7b4b64cc1c8bd343b TLS_AES_128_GCM_SHA256"],
    extra: ["blog.cloudflare.com - 4826a90ec2daf4f7b4b64cc1c8bd343b TLS_AES_128_GCM_SHA256"],
  },
  "zeek/postgresql/psql-aws-ssl-preferred.pcap": {
    why: "tshark misses the ServerHello (it arrives out of order; found with tcp.reassemble_out_of_order, see the corpus README); pbx reassembles it and reports the negotiated version and cipher: pbx right",
    missing: ["database-1.cyx4x7yvdoay.us-east-1.rds.amazonaws.com - a3afc2c46ba4a7d7fbe1cfb7a3031c2f -"],
    extra: ["database-1.cyx4x7yvdoay.us-east-1.rds.amazonaws.com 1.2 a3afc2c46ba4a7d7fbe1cfb7a3031c2f TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
  },
  "zeek/tls/dtls1_0.pcap": {
    why: "the first ClientHello is fragmented across datagrams: tshark's session keeps no JA3 for it, while tshark itself gives 0dab7dad... for the reassembled ClientHello (frame 2, dtls.handshake.ja3); pbx reassembles the fragments and reports the JA3: pbx right",
    missing: ["- 1.0 - TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"],
    extra: ["- 1.0 0dab7dadc76b31d578cb41b8c2838cd9 TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"],
  },
  "zeek/tls/dtls1_2.pcap": {
    why: "the first ClientHello is fragmented across datagrams: tshark's session keeps no JA3 for it, while its per-message list gives 3c3d1297... for the reassembled ClientHello (frame 2), which is what pbx reports: pbx right",
    missing: ["- 1.2 - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
    extra: ["- 1.2 3c3d129780d0066cd8936a6291a8d44f TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
  },
  "zeek/tls/chrome-63.0.3211.0-canary-tls_experiment.pcap": {
    why: "pbx deliberately leaves tls.version absent for the experimental TLS 1.3 version 0x7e01 (Chrome's tls_experiment variant); tshark reports the raw code",
    missing: ["tls.ctf.network 0x7e01 d601fa961e06cde8d2862c0613a425f9 TLS_AES_128_GCM_SHA256"],
    extra: ["tls.ctf.network - d601fa961e06cde8d2862c0613a425f9 TLS_AES_128_GCM_SHA256"],
  },
  "zeek/tls/hrr.pcap": {
    why: "tshark records no negotiated version/cipher after the HelloRetryRequest; pbx takes them from the HRR, which carries the selected version and cipher suite (RFC 8446 §4.1.4): pbx deliberately different",
    missing: ["- - 0f14b679807628ec7f9c02cada3ee941 -"],
    extra: ["- 1.3 0f14b679807628ec7f9c02cada3ee941 TLS_AES_256_GCM_SHA384"],
  },
  "zeek/tls/irc-starttls.pcap": {
    why: "pbx bug: after IRC STARTTLS (port 6667) pbx picks the ServerHello (frame 10) up by content but not the ClientHello (frame 8), so it reports a half session without SNI/JA3; tshark does not dissect IRC STARTTLS at all",
    missing: [],
    extra: ["- 1.2 - TLS_RSA_WITH_AES_256_GCM_SHA384"],
  },
  "zeek/tls/ssl-v2.pcap": {
    why: "the SSLv2-format ClientHello is not counted by tshark's oracle (client_hellos 0); pbx reports the session (tls.detailed.client_hello.ssl2) without JA3, which is not defined for SSLv2 hellos",
    missing: [],
    extra: ["- - - -"],
  },
  "zeek/tls/ssl.v3.pcap": {
    why: "stream 0 opens with an SSLv2-compatible ClientHello that tshark does not count (client_hellos 0); pbx reports that session (TLS 1.0, RC4-MD5) without JA3, undefined for SSLv2 hellos",
    missing: [],
    extra: ["- 1.0 - TLS_RSA_WITH_RC4_128_MD5"],
  },
  "zeek/tls/tls-13draft19-early-data.pcap": {
    why: "pbx deliberately leaves tls.version absent for TLS 1.3 draft versions (tshark's negotiated_version is the draft code); the draft is in tls.detailed.version",
    missing: ["- 0x7f13 7e39335db773838c84df131a7658a1f9 TLS_AES_256_GCM_SHA384", "- 0x7f13 ed9124b23109dcaafd6ee8658fd49284 TLS_AES_256_GCM_SHA384"],
    extra: ["- - 7e39335db773838c84df131a7658a1f9 TLS_AES_256_GCM_SHA384", "- - ed9124b23109dcaafd6ee8658fd49284 TLS_AES_256_GCM_SHA384"],
  },
  "zeek/tls/tls13draft16-chrome55.0.2879.0-canary.pcap": {
    why: "pbx deliberately leaves tls.version absent for TLS 1.3 draft versions (tshark's negotiated_version is the draft code); the draft is in tls.detailed.version",
    missing: ["- 0x7f0e 1bbe072c914653f5696401459ca0f9b8 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "- 0x7f0e 1bbe072c914653f5696401459ca0f9b8 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"],
    extra: ["- - 1bbe072c914653f5696401459ca0f9b8 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "- - 1bbe072c914653f5696401459ca0f9b8 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"],
  },
  "zeek/tls/tls13draft16-ff52.a01.pcap": {
    why: "pbx deliberately leaves tls.version absent for TLS 1.3 draft versions (tshark's negotiated_version is the draft code); the draft is in tls.detailed.version",
    missing: ["- 0x7f10 7475b427c2658e9ae2388737ecc29164 TLS_CHACHA20_POLY1305_SHA256", "- 0x7f10 7475b427c2658e9ae2388737ecc29164 TLS_CHACHA20_POLY1305_SHA256"],
    extra: ["- - 7475b427c2658e9ae2388737ecc29164 TLS_CHACHA20_POLY1305_SHA256", "- - 7475b427c2658e9ae2388737ecc29164 TLS_CHACHA20_POLY1305_SHA256"],
  },
  "zeek/tls/tls13draft23-chrome67.0.3368.0-canary.pcap": {
    why: "pbx deliberately leaves tls.version absent for TLS 1.3 draft versions (tshark's negotiated_version is the draft code); the draft is in tls.detailed.version",
    missing: ["tls13.crypto.mozilla.org 0x7f17 6cb345f0f89fe97b1dfad775b52d5cf2 TLS_AES_128_GCM_SHA256"],
    extra: ["tls13.crypto.mozilla.org - 6cb345f0f89fe97b1dfad775b52d5cf2 TLS_AES_128_GCM_SHA256"],
  },
  "zeek/tls/webrtc-stun.pcap": {
    why: "pbx limitation: DTLS multiplexed with STUN on one UDP flow (WebRTC, RFC 7983) is not found: 8 STUN datagrams come first and UDP content detection looks at the first 4; the DTLS client is also the flow's responder",
    missing: ["- 1.0 69b4c10438dd27f06b1a694c67e63ba1 TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"],
    extra: [],
  },
}
