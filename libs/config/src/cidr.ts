/** Small, dependency-free IPv4 CIDR arithmetic: enough to validate the VPC range and lay out its subnets. */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; returns an error message instead of throwing so validators can collect them. */
export function parseCidr(text: string): Cidr | string {
  const m = CIDR_RE.exec(text);
  if (!m) return `expected an IPv4 CIDR block like 10.0.0.0/16, got "${text}"`;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) return `expected octets between 0 and 255, got "${text}"`;
  if (prefix > 32) return `expected a prefix length between 0 and 32, got /${prefix} in "${text}"`;
  const base = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) {
    return `expected the network address of the block (host bits zero), got "${text}"; did you mean "${formatCidr({ base: (base & mask) >>> 0, prefix })}"?`;
  }
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  const b = c.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefix}`;
}

/** Like Terraform's cidrsubnet(prefix, newbits, netnum). */
export function subnet(parent: Cidr, newBits: number, netNum: number): Cidr {
  const prefix = parent.prefix + newBits;
  if (prefix > 32) throw new Error(`cannot add ${newBits} bits to /${parent.prefix}`);
  if (netNum >= 2 ** newBits) throw new Error(`netnum ${netNum} does not fit in ${newBits} bits`);
  return { base: (parent.base + netNum * 2 ** (32 - prefix)) >>> 0, prefix };
}

/** True when the block lies inside RFC 1918 private space (VPCs may use others, but we refuse them by default). */
export function isPrivateRange(c: Cidr): boolean {
  return cidrWithin(c, '10.0.0.0/8') || cidrWithin(c, '172.16.0.0/12') || cidrWithin(c, '192.168.0.0/16');
}

export interface SubnetPlan {
  /** Workload subnets (EKS nodes and pods; VPC CNI gives pods VPC addresses, so these get most of the space). */
  readonly private: string[];
  /** Load balancers and NAT gateways. */
  readonly public: string[];
  /** Data stores: no route to the internet at all. */
  readonly isolated: string[];
}

/** The smallest subnet AWS allows. */
export const MIN_SUBNET_PREFIX = 28;

function bitsFor(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n)));
}

/**
 * Lays out the VPC: the range is cut into 2^k equal blocks (k = 2 for up to 3 AZs, 3 for up to 7); the first
 * `azCount` blocks are the private subnets, the last block is halved into a public and an isolated half, each
 * cut into one subnet per AZ. A /16 over 3 AZs gives private /18s, public /21s and isolated /21s.
 */
export function planSubnets(vpcCidr: string, azCount: number): SubnetPlan | string {
  const vpc = parseCidr(vpcCidr);
  if (typeof vpc === 'string') return vpc;
  const blockBits = bitsFor(azCount + 1);
  const azBits = bitsFor(azCount);
  const edgePrefix = vpc.prefix + blockBits + 1 + azBits;
  if (edgePrefix > MIN_SUBNET_PREFIX) {
    const largest = MIN_SUBNET_PREFIX - (blockBits + 1 + azBits);
    return `/${vpc.prefix} is too small for ${azCount} AZs (public and isolated subnets would be /${edgePrefix}, AWS's smallest is /${MIN_SUBNET_PREFIX}); expected /${largest} or larger`;
  }
  const lastBlock = subnet(vpc, blockBits, 2 ** blockBits - 1);
  const publicHalf = subnet(lastBlock, 1, 0);
  const isolatedHalf = subnet(lastBlock, 1, 1);
  const azs = [...Array(azCount).keys()];
  return {
    private: azs.map((i) => formatCidr(subnet(vpc, blockBits, i))),
    public: azs.map((i) => formatCidr(subnet(publicHalf, azBits, i))),
    isolated: azs.map((i) => formatCidr(subnet(isolatedHalf, azBits, i))),
  };
}

/** Whether block `c` lies inside block `outer`. */
export function cidrWithin(c: Cidr, outer: string): boolean {
  const p = parseCidr(outer) as Cidr;
  if (c.prefix < p.prefix) return false;
  const mask = p.prefix === 0 ? 0 : (0xffffffff << (32 - p.prefix)) >>> 0;
  return (c.base & mask) >>> 0 === p.base;
}

/** IPv4 ranges that are not reachable public internet addresses, with the RFC that reserves them. */
export const NON_PUBLIC_RANGES: readonly { readonly cidr: string; readonly kind: 'documentation' | 'private' | 'reserved'; readonly what: string }[] = [
  { cidr: '192.0.2.0/24', kind: 'documentation', what: 'a documentation range (RFC 5737 TEST-NET-1)' },
  { cidr: '198.51.100.0/24', kind: 'documentation', what: 'a documentation range (RFC 5737 TEST-NET-2)' },
  { cidr: '203.0.113.0/24', kind: 'documentation', what: 'a documentation range (RFC 5737 TEST-NET-3)' },
  { cidr: '10.0.0.0/8', kind: 'private', what: 'a private range (RFC 1918)' },
  { cidr: '172.16.0.0/12', kind: 'private', what: 'a private range (RFC 1918)' },
  { cidr: '192.168.0.0/16', kind: 'private', what: 'a private range (RFC 1918)' },
  { cidr: '100.64.0.0/10', kind: 'private', what: 'carrier-grade NAT space (RFC 6598)' },
  { cidr: '0.0.0.0/8', kind: 'reserved', what: '"this network" (RFC 1122), not a source address' },
  { cidr: '127.0.0.0/8', kind: 'reserved', what: 'loopback (RFC 1122)' },
  { cidr: '169.254.0.0/16', kind: 'reserved', what: 'link-local (RFC 3927)' },
  { cidr: '192.0.0.0/24', kind: 'reserved', what: 'IETF protocol assignments (RFC 6890)' },
  { cidr: '198.18.0.0/15', kind: 'reserved', what: 'benchmarking space (RFC 2544)' },
  { cidr: '224.0.0.0/4', kind: 'reserved', what: 'multicast (RFC 5771)' },
  { cidr: '240.0.0.0/4', kind: 'reserved', what: 'reserved space (RFC 1112), including broadcast' },
];

/** The non-public range a block lies in (documentation, private, reserved), or undefined for public address space. */
export function nonPublicRange(c: Cidr): (typeof NON_PUBLIC_RANGES)[number] | undefined {
  return NON_PUBLIC_RANGES.find((r) => cidrWithin(c, r.cidr));
}

/** IPv6 documentation prefix 2001:db8::/32 (RFC 3849), in any spelling of its first two groups. */
export function isIpv6DocumentationRange(text: string): boolean {
  return /^2001:0*db8(:|$)/i.test(text.trim());
}
