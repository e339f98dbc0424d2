import { readFileSync } from 'node:fs';

/** `0100007F` (as /proc/net/tcp writes it, little-endian) → `127.0.0.1`. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** /proc/net/tcp6's 32 hex digits (four little-endian words) → an IPv6 address, `::` for the unspecified. */
function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) {
    const w = hex.slice(word * 8, word * 8 + 8);
    for (const i of [6, 4, 2, 0]) bytes.push(parseInt(w.slice(i, i + 2), 16));
  }
  if (bytes.every((b) => b === 0)) return '::';
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12).join('.');
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/**
 * The local addresses a TCP port is listening on, in any process of this machine's network namespace
 * (Linux's /proc/net/tcp and tcp6): a loopback listener told from one on every interface (`0.0.0.0`,
 * `::`). Null where neither file can be read (not Linux), so "nothing listens" and "cannot tell" differ.
 */
export function listeningAddresses(port: number): string[] | null {
  const LISTEN = '0A';
  const out = new Set<string>();
  let read = false;
  for (const [file, parse] of [
    ['/proc/net/tcp', ipv4],
    ['/proc/net/tcp6', ipv6],
  ] as const) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
      read = true;
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [address, portHex] = (fields[1] ?? '').split(':');
      if (fields[3] === LISTEN && portHex && parseInt(portHex, 16) === port) out.add(parse(address!));
    }
  }
  return read ? [...out].sort() : null;
}
