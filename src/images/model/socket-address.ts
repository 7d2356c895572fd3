// Socket address words as CRIU stores them: each u32 holds 4 address bytes in network byte order,
// read as a little-endian number on x86. These helpers turn them into printable addresses.

/** Formats src_addr/dst_addr words: one word is IPv4, four are IPv6. */
export function formatAddress(words: readonly number[], family: number): string | undefined {
  if (words.length === 0) return undefined;
  const bytes = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => bytes.writeUInt32LE(w >>> 0, i * 4));
  if (family === 2 || words.length === 1) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) reads best in its dotted form.
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  return compressIpv6(groups);
}

/** RFC 5952 text: lowercase hex, the longest run (>= 2) of zero groups becomes `::`. */
function compressIpv6(groups: number[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Socket family numbers (AF_*) to names. */
export const familyNames: Record<number, string> = { 1: 'unix', 2: 'inet', 10: 'inet6', 16: 'netlink', 17: 'packet' };
/** Socket type numbers (SOCK_*) to names. */
export const socketTypeNames: Record<number, string> = { 1: 'stream', 2: 'dgram', 3: 'raw', 5: 'seqpacket', 10: 'packet' };
/** IP protocol numbers to names. */
export const protocolNames: Record<number, string> = { 0: 'ip', 6: 'tcp', 17: 'udp', 136: 'udplite' };
/** TCP states as the kernel numbers them (unix sockets reuse ESTABLISHED/LISTEN/CLOSE). */
export const socketStateNames: Record<number, string> = {
  1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
  7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING',
};
