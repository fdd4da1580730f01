import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where outbound requests to URLs that users register (webhook endpoints) may go: public
 * addresses only. Loopback, private, link-local (cloud metadata), shared, unique-local,
 * multicast, reserved and unspecified addresses are refused in every notation: the WHATWG URL
 * parser turns `2130706433`, `0x7f.1` or `127.1` into 127.0.0.1, and the IPv4 inside
 * IPv4-mapped (`::ffff:127.0.0.1`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`) addresses is
 * checked as IPv4. An operator's allow-list (addresses or CIDR ranges) permits private targets,
 * for development and tests.
 *
 * The address is checked at registration (early, with a reason) and again on the address
 * actually connected to at delivery (`checkedLookup`), so that a name re-pointed after
 * registration (DNS rebinding) is refused too.
 */

type Family = 'ipv4' | 'ipv6';

const BLOCKED: readonly (readonly [
  network: string,
  prefix: number,
  family: Family,
  kind: string,
])[] = [
  ['0.0.0.0', 8, 'ipv4', 'an unspecified address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.0.0.0', 24, 'ipv4', 'a reserved address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['198.18.0.0', 15, 'ipv4', 'a reserved address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['255.255.255.255', 32, 'ipv4', 'a broadcast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'an unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  // IPv4-compatible addresses (deprecated): nothing public lives there.
  ['::', 96, 'ipv6', 'a reserved address'],
  ['64:ff9b:1::', 48, 'ipv6', 'a private address'],
  ['fc00::', 7, 'ipv6', 'a unique-local address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['fec0::', 10, 'ipv6', 'a site-local address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
];

const RANGES = BLOCKED.map(([network, prefix, family, kind]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { family, kind, list };
});

const ONLY_PUBLIC = 'outbound requests only go to public addresses';

/** Resolves a host name to all its addresses (dns.lookup, as connections do). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, order: 'verbatim' });

/** Refusal of an outbound connection; `message` says which address and why. */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_OUTBOUND_ADDRESS_BLOCKED';
  constructor(message: string) {
    super(message);
    this.name = 'BlockedAddressError';
  }
}

/** The addresses and ranges the operator allows although they are not public. */
export class OutboundPolicy {
  private readonly allowed = new BlockList();

  constructor(allowedPrivate: readonly string[]) {
    for (const entry of allowedPrivate) {
      const [network = '', prefix] = entry.split('/');
      const family: Family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.allowed.addAddress(network, family);
      else this.allowed.addSubnet(network, Number(prefix), family);
    }
  }

  /** Why a connection to `address` is refused ("10.0.0.1, a private address"), or null. */
  problem(address: string): string | null {
    const plain = address.replace(/%.*$/, ''); // an IPv6 zone ("fe80::1%eth0")
    const family = isIP(plain);
    const inner = family === 6 ? embeddedIpv4(plain) : null;
    if (family === 0 || inner === undefined) return `${address}, not an IP address`;
    const kind = (inner && kindOf(inner, 'ipv4')) ?? kindOf(plain, family === 4 ? 'ipv4' : 'ipv6');
    if (!kind) return null;
    if (this.allowed.check(plain, family === 4 ? 'ipv4' : 'ipv6')) return null;
    if (inner && this.allowed.check(inner, 'ipv4')) return null;
    return `${address}${inner ? ` (IPv4 ${inner})` : ''}, ${kind}`;
  }
}

const policies = new WeakMap<readonly string[], OutboundPolicy>();

/** The policy of a configured allow-list (built once per list). */
export function outboundPolicy(allowedPrivate: readonly string[]): OutboundPolicy {
  let policy = policies.get(allowedPrivate);
  if (!policy) {
    policy = new OutboundPolicy(allowedPrivate);
    policies.set(allowedPrivate, policy);
  }
  return policy;
}

function kindOf(address: string, family: Family): string | null {
  return (
    RANGES.find((range) => range.family === family && range.list.check(address, family))?.kind ??
    null
  );
}

/** The eight 16-bit words of a valid IPv6 address. */
function ipv6Words(address: string): number[] {
  // The URL parser writes any notation (dotted tail included) as compressed hex.
  const compact = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const words = (part: string) => (part ? part.split(':').map((w) => Number.parseInt(w, 16)) : []);
  const [head = '', tail] = compact.split('::');
  if (tail === undefined) return words(head);
  const [first, last] = [words(head), words(tail)];
  return [...first, ...Array(8 - first.length - last.length).fill(0), ...last];
}

/**
 * The IPv4 address an IPv4-mapped, -translated, NAT64 or 6to4 address reaches, null if none,
 * undefined if the URL parser does not take the address (it is then refused).
 */
function embeddedIpv4(address: string): string | null | undefined {
  let w: number[];
  try {
    w = ipv6Words(address);
  } catch {
    return undefined;
  }
  const v4 = (high = 0, low = 0) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  const zero = (from: number, to: number) => w.slice(from, to).every((word) => word === 0);
  if (zero(0, 5) && w[5] === 0xffff) return v4(w[6], w[7]); // ::ffff:a.b.c.d
  if (zero(0, 4) && w[4] === 0xffff && w[5] === 0) return v4(w[6], w[7]); // ::ffff:0:a.b.c.d
  if (w[0] === 0x64 && w[1] === 0xff9b && zero(2, 6)) return v4(w[6], w[7]); // NAT64
  if (w[0] === 0x2002) return v4(w[1], w[2]); // 6to4
  return null;
}

/** The address of an IP-literal host name (`[::1]` → `::1`), or null for a name. */
function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : null;
}

/**
 * What is wrong with a URL as a target without resolving it: user info, or an IP literal that is
 * not public. Delivery checks this before connecting (a literal is never looked up).
 */
export function urlProblem(url: URL, policy: OutboundPolicy): string | null {
  if (url.username || url.password) return 'must not contain a user name or password';
  const literal = literalAddress(url.hostname);
  const problem = literal && policy.problem(literal);
  return problem ? `points at ${problem}; ${ONLY_PUBLIC}` : null;
}

/**
 * The registration check: `urlProblem`, then every address the name resolves to. A name that
 * does not resolve (yet) is accepted: delivery checks the address it connects to anyway.
 */
export async function targetProblem(
  text: string,
  policy: OutboundPolicy,
  resolve: Resolver = systemResolver,
): Promise<string | null> {
  const url = new URL(text);
  const problem = urlProblem(url, policy);
  if (problem || literalAddress(url.hostname)) return problem;
  const addresses = await resolve(url.hostname).catch(() => []);
  return resolvedProblem(addresses, policy);
}

function resolvedProblem(addresses: readonly LookupAddress[], policy: OutboundPolicy) {
  for (const { address } of addresses) {
    const problem = policy.problem(address);
    if (problem) return `resolves to ${problem}; ${ONLY_PUBLIC}`;
  }
  return null;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http(s).request / net.connect that resolves the name and refuses it when any of
 * its addresses is not allowed: the check is on the addresses the socket connects to.
 */
export function checkedLookup(policy: OutboundPolicy, resolve: Resolver = systemResolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (all) => {
        const family = options.family;
        const wanted =
          family === 4 || family === 'IPv4' ? 4 : family === 6 || family === 'IPv6' ? 6 : 0;
        const addresses = all.filter((a) => wanted === 0 || a.family === wanted);
        const problem = resolvedProblem(addresses, policy);
        const [first] = addresses;
        if (problem) callback(new BlockedAddressError(`${hostname} ${problem}`), '');
        else if (!first)
          callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), '');
        else if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
