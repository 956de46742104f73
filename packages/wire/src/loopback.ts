import { BlockList, isIP } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * Whether `host` reaches only this machine: `localhost`, 127.0.0.0/8, ::1, or 127.0.0.0/8 as an
 * IPv4-mapped IPv6 address, in any spelling (a URL's hostname writes ::ffff:127.0.0.1 as
 * [::ffff:7f00:1]). Plain http: and ws: are allowed only there, so whatever is not certainly
 * loopback is not: every other name, `localhost.` included (DNS may answer for it, RFC 6761 only
 * reserves `localhost`), 0.0.0.0 and :: (every interface), addresses with a zone, and brackets
 * around anything but IPv6.
 */
export function isLoopbackHost(host: string): boolean {
  const bracketed = host.startsWith('[') && host.endsWith(']');
  const h = (bracketed ? host.slice(1, -1) : host).toLowerCase();
  if (h === 'localhost') return !bracketed;
  switch (isIP(h)) {
    case 4:
      return !bracketed && loopback.check(h, 'ipv4');
    case 6:
      return !h.includes('%') && loopback.check(h, 'ipv6');
    default:
      return false;
  }
}
