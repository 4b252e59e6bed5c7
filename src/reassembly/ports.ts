/**
 * Service-port knowledge used to tell client from server when a conversation is picked up without
 * a handshake (TCP mid-stream) or when a UDP flow's first datagram comes from the server side.
 * Ports below 1024 count as services, plus a short list of common registered service ports.
 * Lookup is one typed-array read.
 */

const TCP_EXTRA = [
  1433, 1521, 1883, 2049, 2181, 3306, 3389, 5432, 5672, 5900, 5984, 6379, 6443, 8000, 8008, 8080, 8081, 8443, 8883,
  8888, 9000, 9042, 9090, 9092, 9160, 9200, 9300, 11211, 15672, 27017, 61616,
]

const UDP_EXTRA = [1194, 1812, 1813, 1900, 2049, 3478, 4500, 4789, 5060, 5353, 5355, 6343, 8125, 11211]

function table(extra: number[]): Uint8Array {
  const t = new Uint8Array(65536)
  t.fill(1, 1, 1024)
  for (const p of extra) t[p] = 1
  return t
}

const TCP_SERVICE = table(TCP_EXTRA)
const UDP_SERVICE = table(UDP_EXTRA)

export function isTcpServicePort(port: number): boolean {
  return TCP_SERVICE[port & 0xffff] === 1
}

export function isUdpServicePort(port: number): boolean {
  return UDP_SERVICE[port & 0xffff] === 1
}
