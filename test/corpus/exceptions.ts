/**
 * Where pbx and the tshark oracle disagree on a corpus capture and pbx is right (or the capture
 * cannot say), the difference is recorded here with the reason. The corpus suite checks that each
 * recorded difference is still exactly the difference, so an entry cannot silently go stale.
 * Keys are paths relative to ../shared/corpus; `missing` are oracle keys pbx does not report,
 * `extra` are pbx keys the oracle does not have ("METHOD URI STATUS", "-" for an absent half).
 */
export interface Exception {
  why: string
  missing: string[]
  extra: string[]
}

export const HTTP_EXCEPTIONS: Record<string, Exception> = {
  "arkime/http-100-continue.pcap": {
    why: "tshark's stream-order pairing lists the interim 100 Continue as a transaction of its own; pbx (like Packetbeat) reports one transaction with the final status and keeps the 1xx code in pbx.http.interim_status_codes",
    missing: ["POST /re/abcdefghijklmnopqrstuvwxyz123456 100"],
    extra: [],
  },
  "arkime/http-tcp-seq-issue.pcap": {
    why: "tshark does not dissect this POST (its sequence-analysis confusion); the request and its 200 are on the wire and pbx pairs them",
    missing: [],
    extra: ["POST /xxxxxxxxx/xxxxxx/xxxxxxxxxxx/xxxxxxxxxx/xxx/xxxxxxxxx.xxx?Command=FileUpload&Type=File&CurrentFolder=%2F 200"],
  },
  "arkime/http-wrapped-header.pcap": {
    why: "oracle bug: tshark's uri field came out as an object ([object Object]) in the oracle file; pbx reports the real request-target",
    missing: ["GET [object Object] 200"],
    extra: ["GET /x/xx/xxxxxxxxxxxxxxxxxxx/x/xxxxxx/xxxxxxxxxxxxxxx?xxx=1&xxx=1&x=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx&vmf=xxxxxxxxxx.xxx.xxx.xxx&ce=UTF-8&ns=xxxxxxxxxx&pageName=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx&g=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.jsp&r=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx&events=xxxxxxxxxxxxxxxxxxxxxxxxxxx&products=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx&v1=xxxxxxxxxxxxxxx&v2=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx&v17=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_cxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx&c49=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx&AQE=1 200"],
  },
  "arkime/long-session.pcap": {
    why: "the client sends a bare \"GET\\r\\n\" (no request-target) that tshark does not treat as HTTP; pbx reports it with notes (request line without request-target, no response)",
    missing: [],
    extra: ["GET  -"],
  },
  "arkime/no-syn-ack.pcap": {
    why: "capture without the SYN-ACK: tshark does not pair the response; pbx reassembles both directions and pairs the 200",
    missing: ["GET /xxxxxx/xxxxxxxxx/xxxxxxxxxx/xxx/xx/xxxxxxx/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.ts -"],
    extra: ["GET /xxxxxx/xxxxxxxxx/xxxxxxxxxx/xxx/xx/xxxxxxx/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.ts 200"],
  },
  "arkime/twovlan.pcap": {
    why: "response lost by tshark across the double VLAN tags; pbx decodes both tags and pairs the 200",
    missing: ["GET / -"],
    extra: ["GET / 200"],
  },
  "arkime/wireshark-retrans.pcap": {
    why: "frames 42 and 86 are (spurious) retransmissions of responses already delivered; tshark dissects them again as responses, pbx never delivers a byte twice",
    missing: ["- - 200", "- - 200"],
    extra: [],
  },
  "packetbeat/gap_in_stream.pcap": {
    why: "tshark loses the response after the gap; pbx resynchronises and pairs the 200 (with a note)",
    missing: ["GET /jszip.min.js -"],
    extra: ["GET /jszip.min.js 200"],
  },
  "packetbeat/http_100_continue.pcap": {
    why: "same as arkime/http-100-continue.pcap: the interim 100 is not a transaction of its own",
    missing: ["POST /filebeat/_doc/mydoc 100"],
    extra: [],
  },
  "zeek/http/100-continue.pcap": {
    why: "same as arkime/http-100-continue.pcap: the interim 100 is not a transaction of its own",
    missing: ["POST / 100"],
    extra: [],
  },
  "zeek/http/206_example_b.pcap": {
    why: "tshark does not pair the 206 across the content-range gaps; pbx does",
    missing: ["GET /msdownload/update/software/uprl/2011/01/windows-kb890830-v3.15-delta_7d99803eaf3b6e8dfa3581348bc694089579d25a.exe -"],
    extra: ["GET /msdownload/update/software/uprl/2011/01/windows-kb890830-v3.15-delta_7d99803eaf3b6e8dfa3581348bc694089579d25a.exe 206"],
  },
  "zeek/http/bro.org.pcap": {
    why: "tshark loses this response (out-of-order segments); pbx reassembles and pairs the 200",
    missing: ["GET /images/icons/download.png -"],
    extra: ["GET /images/icons/download.png 200"],
  },
  "zeek/http/concurrent-range-requests.pcap": {
    why: "tshark does not pair the 206 response; pbx does",
    missing: ["GET /100MB.bin -"],
    extra: ["GET /100MB.bin 206"],
  },
  "zeek/http/content-range-gap-skip.pcap": {
    why: "tshark does not pair the 206 across the gap; pbx does (gap noted)",
    missing: ["GET /msdownload/update/software/svpk/2009/05/windows6.0-kb948465-x86-neutral_18cf4afec572b84deb9078578e6fe61696f60050.psf -"],
    extra: ["GET /msdownload/update/software/svpk/2009/05/windows6.0-kb948465-x86-neutral_18cf4afec572b84deb9078578e6fe61696f60050.psf 206"],
  },
  "zeek/http/content-range-gap.pcap": {
    why: "tshark does not pair the 206 across the gap; pbx does (gap noted)",
    missing: ["GET /images/misc/static/2012/11/ifdata-welcome-0.png -"],
    extra: ["GET /images/misc/static/2012/11/ifdata-welcome-0.png 206"],
  },
  "zeek/http/entity_gap.pcap": {
    why: "tshark loses the response across the entity gap; pbx pairs the 200 with a gap note",
    missing: ["GET /download/CHANGES.bro-aux.txt -"],
    extra: ["GET /download/CHANGES.bro-aux.txt 200"],
  },
  "zeek/http/entity_gap2.pcap": {
    why: "tshark loses the response across the entity gap; pbx pairs the 200 with a gap note",
    missing: ["GET /download/CHANGES.bro-aux.txt -"],
    extra: ["GET /download/CHANGES.bro-aux.txt 200"],
  },
  "zeek/http/get-to-ssh-server.pcap": {
    why: "a GET sent to an SSH server (port 22): tshark does not dissect it; pbx finds HTTP by content and reports the request without response",
    missing: [],
    extra: ["GET / -"],
  },
  "zeek/http/http_09.pcap": {
    why: "HTTP/0.9 requests, which tshark does not recognise (corpus README); pbx reports them with their simple responses (a bare body until close: 51 and 11 bytes), which have no status line, hence no status; the third is a lone method without target",
    missing: [],
    extra: ["GET /zeek.html -", "POST /zeek.html -", "GET  -"],
  },
  "zeek/http/http-body-match.pcap": {
    why: "three POSTs answered 100 Continue then a final status: the interim 100s are not transactions of their own",
    missing: ["POST /abcd 100", "POST /abcd 100", "POST /abcd 100"],
    extra: [],
  },
  "zeek/http/http-single-conn-22.pcap": {
    why: "HTTP on port 22: tshark does not dissect it; pbx finds it by content and pairs the 200",
    missing: [],
    extra: ["GET / 200"],
  },
  "zeek/http/http-to-ssh.pcap": {
    why: "a GET sent to an SSH server: tshark does not dissect it; pbx reports the request without response",
    missing: [],
    extra: ["GET / -"],
  },
  "zeek/http/no-version.pcap": {
    why: "a request line without HTTP version on a non-standard flow that tshark does not dissect; pbx reports it leniently",
    missing: [],
    extra: ["GET /cgi-bin/formmail.pl?email=f2@aol.com&subject=www-nrg.ee/cgi-bin/formmail.pl&recipient=unknownz@buy2save.com&msg=w00t -"],
  },
  "zeek/http/putty-upload.pcap": {
    why: "tshark misses the POST request line (split segments) and reports a lone response; pbx pairs them",
    missing: ["- - 200"],
    extra: ["POST /upload 200"],
  },
  "zeek/http/query-method-non-standard-port.pcap": {
    why: "the QUERY method (draft-ietf-httpbis-safe-method-w-body) is unknown to tshark 4.0; pbx accepts it with a valid version and pairs the 200",
    missing: ["- - 200"],
    extra: ["QUERY /users 200"],
  },
  "zeek/http/zeek-image-post-1080-8000-x.pcap": {
    why: "tshark does not dissect this flow; pbx finds the POST by content and pairs the 200",
    missing: [],
    extra: ["POST / 200"],
  },
  "zeek/http/zero-length-bodies-with-drops.pcap": {
    why: "oracle bug: three uri fields are objects ([object Object]) in the oracle file; pbx reports the real request-targets",
    missing: ["GET [object Object] 302", "GET [object Object] 302", "GET [object Object] 200"],
    extra: ["GET /ad/l/1?last=0&ct=0&metr=127&s=b019&t=1300988780203466&adid=364838&reid=180527&arid=2&auid=&cn=defaultImpression&et=i&_cc=364838,180525,,12028.12150.,1300988780,1&tpos=1260&iw=&uxnw=&uxss=&uxct=&init=1&cr=http%3A//trk.vindicosuite.com/Tracking/V3/Instream/Impression/%3F0%7C487%7C44141%7C32366%7C6024%7C14430%7CHEADER%7C10%7C2361%7C14%7CBBEEND%7C%26internalRedirect%3Dtrue%26cb%3D1342910204 302", "GET /ad/l/1?last=0&ct=0&metr=127&s=b019&t=1300988780203466&adid=365730&reid=176934&arid=1&auid=&cn=defaultImpression&et=i&_cc=365730,176933,,12028.12150.,1300988780,1&tpos=1260&iw=&uxnw=&uxss=&uxct=&init=1&cr=http%3A//trk.vindicosuite.com/Tracking/V3/Instream/Impression/%3F0%7C487%7C43978%7C32437%7C5963%7C14430%7CHEADER%7C10%7C1765%7C14%7CBBEEND%7C%26internalRedirect%3Dtrue%26cb%3D 302", "GET /ad/l/1?kv=additional%3DvastURL%253Dhttp%253A%252F%252Fapp.Scanscout.com%252Fssframework%252FadStreamJSController.xml%253Fa%253Dgetadscheduleforcontent%2526format%253Dvast%2526fetchads%253Doverlay%2526ss_partnerId%253D57760%2526ss_mediaId%253Dmgid%25253Auma%25253Avideolist%25253Amtv.com%25253A1660402%2526ss_mediaTitle%253DTeen%252520Mom%2525202%252520%25257C%252520Ep.%25252011%252520%25257C%252520%252527One%252520Step%252520Back%252527%2526ss_mediaDescription%253D%2526ss_mediaCategories%253D%2526ss_mediaKeywords%253D%2526ss_mediaURL%253Dhttp%25253A%252F%252Fmedia.mtvnservices.com%252Fmgid%25253Auma%25253Avideo%25253Amtv.com%25253A634781%2526ss_pageURL%253Dhttp%25253A%252F%252Fwww.mtv.com%252Fvideos%252Fteen-mom-2-ep-11-one-step-back%252F1660402%252Fplaylist.jhtml%252523series%25253D2211%252526seriesId%25253D34714%252526channelId%25253D1%2526ss_streamPageURL%253Dhttp%25253A%252F%252Fwww.mtv.com%252Fvideos%252Fteen-mom-2-ep-11-one-step-back%252F1660402%252Fplaylist.jhtml%252523series%25253D2211%252526seriesId%25253D34714%252526channelId%25253D1%2526ss_height%253D285%2526ss_width%253D445%2526asVersion%253D3%2526jsa%253DY%2509scheduleVastAds()%252C%2520no%2520ads%2520returned%2520from%2520vast%2520response%26renderer%3Dhttp%253A%252F%252Fadm.fwmrm.net%252Fp%252Fmtvn_live%252FVastTranslator.swf&et=i&cn=resellerNoAd&s=b019&t=1300988780203466&adid=257916&reid=130628&arid=3&iw=&uxnw=&uxss=&uxct= 200"],
  },
  "zeek/ipv4/fragmented-4.pcap": {
    why: "the request travels in IPv4 fragments that tshark does not dissect as HTTP; pbx reassembles them and reports the request (no response in the capture)",
    missing: [],
    extra: ["GET /msadc/..%2f../..%2f../..%2f../winnt/system32/cmd.exe?/c+dir+c:\\ -"],
  },
  "zeek/ipv6-http-atomic-frag.pcap": {
    why: "requests in IPv6 atomic fragments (RFC 6946) that tshark does not dissect as HTTP; pbx decodes them (no responses in the capture)",
    missing: [],
    extra: ["GET /bad.html -", "GET /bad.html -", "GET /bad.html -", "GET /bad.html -"],
  },
  "zeek/tcp-http-with-padding.pcap": {
    why: "the request arrives in 1-byte segments padded at the IP layer; tshark misses the request line and reports a lone response; pbx pairs them",
    missing: ["- - 200"],
    extra: ["GET / 200"],
  },
  "zeek/tls/ssl-to-http-server.pcap": {
    why: "a TLS ClientHello sent to an HTTP server that answers 400: pbx reports the 400 as a response without request (the hello is not HTTP); tshark does not dissect the answer",
    missing: [],
    extra: ["- - 400"],
  },
  "zeek/var-services-std-ports.pcap": {
    why: "oracle bug: the uri field is an object ([object Object]) in the oracle file; pbx reports the real request-target",
    missing: ["GET [object Object] 204"],
    extra: ["GET /csi?v=3&s=webhp&action=&e=17259,28505,28936,29561,30316,30348,30760,30804,31091,31112,31127,31186,31266&ei=nLIETuzrHMW2qwH0wemuDQ&expi=17259,28505,28936,29561,30316,30348,30760,30804,31091,31112,31127,31186,31266&imc=2&imn=2&imp=0&rt=xjsls.70,prt.75,xjses.113,xjsee.136,xjs.137,ol.145,iml.75 204"],
  },
}
