// The target guard: monitors and webhooks may only reach public addresses
// unless ALLOW_PRIVATE_TARGETS says otherwise. The check runs on the address
// DNS gave, and the connection is made to that same address (the lookup
// below is what the socket uses), so a second lookup cannot answer differently.
import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { InvalidInput } from '../errors.js';

const RANGES: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'reserved'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'reserved'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['fc00::', 7, 'ipv6', 'private'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
];

const lists = new Map<string, BlockList>();
for (const [net, prefix, family, kind] of RANGES) {
  let list = lists.get(kind);
  if (!list) {
    list = new BlockList();
    lists.set(kind, list);
  }
  list.addSubnet(net, prefix, family);
}

/** Why an address may not be reached ("loopback", "private", ...), or undefined if it is public. */
export function blockedKind(address: string): string | undefined {
  let addr = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(addr);
  if (family === 0) return 'not an IP address';
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) reaches the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  if (mapped) addr = mapped[1]!;
  const type = isIP(addr) === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of lists) if (list.check(addr, type)) return kind;
  return undefined;
}

export class TargetRefused extends InvalidInput {}

export function refuse(host: string, address: string, kind: string): TargetRefused {
  const shown = host === address ? address : `${host} (${address})`;
  return new TargetRefused(
    `${shown} is ${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind} address, which monitors may not reach; the operator can allow it with ALLOW_PRIVATE_TARGETS=true.`,
  );
}

/**
 * A lookup for net/tls/undici sockets: resolves the host, refuses it if any
 * address it resolves to is not public (unless allowed), and hands the socket
 * the address that was checked.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const literal = hostname.replace(/^\[|\]$/g, '');
    const check = (address: string, family: number) => {
      const kind = allowPrivate ? undefined : blockedKind(address);
      if (kind) return refuse(hostname, address, kind);
      return { address, family };
    };
    if (isIP(literal)) {
      const r = check(literal, isIP(literal));
      if (r instanceof Error) return callback(r as NodeJS.ErrnoException, '', 0);
      if (options.all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [r]);
      return callback(null, r.address, r.family);
    }
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      if (list.length === 0)
        return callback(Object.assign(new Error(`${hostname} has no addresses`), { code: 'ENOTFOUND' }), '', 0);
      const checked = [];
      for (const a of list) {
        const r = check(a.address, a.family);
        if (r instanceof Error) return callback(r as NodeJS.ErrnoException, '', 0);
        checked.push(r);
      }
      if (options.all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, checked);
      const first = checked.find((a) => !options.family || a.family === options.family) ?? checked[0]!;
      callback(null, first.address, first.family);
    });
  };
}

/**
 * Sockets skip the lookup for an IP literal, so a literal is checked here
 * before connecting; names are checked by guardedLookup after DNS.
 */
export function checkLiteral(host: string, allowPrivate: boolean): void {
  const bare = host.replace(/^\[|\]$/g, '');
  if (allowPrivate || isIP(bare) === 0) return;
  const kind = blockedKind(bare);
  if (kind) throw refuse(host, bare, kind);
}

/** For definitions being saved: refuses private IP literals and localhost names at once, before any check runs. */
export function checkConfiguredHost(host: string, allowPrivate: boolean): void {
  if (!allowPrivate && /^localhost\.?$|\.localhost\.?$/i.test(host)) throw refuse(host, host, 'loopback');
  checkLiteral(host, allowPrivate);
}

/** The host a definition will connect to (none for dns, which asks the resolver). */
export function targetHost(type: string, target: string): string | undefined {
  if (type === 'http') return new URL(target.replace(/\{\{[^}]*\}\}/g, 'x')).hostname;
  if (type === 'tcp' || type === 'tls') {
    const hostPort = target.replace(/^https:\/\//, '').replace(/\/.*$/, '');
    return /^\[/.test(hostPort) ? hostPort.slice(0, hostPort.indexOf(']') + 1) : hostPort.replace(/:\d+$/, '');
  }
  return undefined;
}

/** Only http and https may be fetched, by monitors and webhooks alike. */
export function checkScheme(url: URL): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TargetRefused(`Only http and https URLs can be reached, not ${url.protocol.replace(/:$/, '')}.`);
  }
}
