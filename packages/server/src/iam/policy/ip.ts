/**
 * IPv4/IPv6 addresses and CIDR blocks for IpAddress/NotIpAddress. An address is held as
 * four 32-bit words (IPv4 uses only the first), so containment is four masked compares.
 */

export interface IpAddress {
  readonly v6: boolean;
  readonly words: readonly [number, number, number, number];
}

export interface CidrBlock extends IpAddress {
  readonly prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4Word(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  let word = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(m[i]);
    if (octet > 255) return undefined;
    word = word * 256 + octet;
  }
  return word;
}

/** Hex groups of one side of `::`; a dotted quad may end the address, worth two groups. */
function parseGroupList(text: string, mayEndWithIpv4: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (mayEndWithIpv4 && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4Word(part);
      if (v4 === undefined) return undefined;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** Expands `::` into the zero groups it stands for, giving exactly eight 16-bit groups. */
function parseIpv6Groups(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const head = parseGroupList(halves[0] ?? '', !compressed);
  const tail = compressed ? parseGroupList(halves[1] ?? '', true) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (compressed ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIpv4Word(text);
  if (v4 !== undefined) return { v6: false, words: [v4, 0, 0, 0] };
  const zone = text.indexOf('%');
  const groups = parseIpv6Groups(zone >= 0 ? text.slice(0, zone) : text);
  if (!groups) return undefined;
  const word = (i: number): number => (groups[i * 2] ?? 0) * 65536 + (groups[i * 2 + 1] ?? 0);
  // Node reports IPv4 peers on dual-stack sockets as ::ffff:a.b.c.d; policies name them as IPv4.
  if (word(0) === 0 && word(1) === 0 && word(2) === 0xffff) return { v6: false, words: [word(3), 0, 0, 0] };
  return { v6: true, words: [word(0), word(1), word(2), word(3)] };
}

export function parseCidr(text: string): CidrBlock | undefined {
  const slash = text.indexOf('/');
  const address = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (!address) return undefined;
  const max = address.v6 ? 128 : 32;
  const prefixText = slash >= 0 ? text.slice(slash + 1) : String(max);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  return { ...address, prefix };
}

function maskFor(prefix: number, wordIndex: number): number {
  const bits = Math.min(32, Math.max(0, prefix - wordIndex * 32));
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export function cidrContains(block: CidrBlock, address: IpAddress): boolean {
  if (block.v6 !== address.v6) return false;
  for (let i = 0; i < 4; i++) {
    const mask = maskFor(block.prefix, i);
    if (mask === 0) return true;
    if (((block.words[i] ?? 0) & mask) >>> 0 !== ((address.words[i] ?? 0) & mask) >>> 0) return false;
  }
  return true;
}

// Every IP condition of a request looks at the same aws:SourceIp, and clients repeat, so
// parses are remembered. Bounded so a scan from many addresses cannot grow it without limit.
const PARSE_CACHE_LIMIT = 1024;
const parsed = new Map<string, IpAddress | null>();

export function parseIpCached(text: string): IpAddress | undefined {
  let address = parsed.get(text);
  if (address === undefined) {
    if (parsed.size >= PARSE_CACHE_LIMIT) parsed.clear();
    address = parseIp(text) ?? null;
    parsed.set(text, address);
  }
  return address ?? undefined;
}
