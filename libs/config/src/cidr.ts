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
  const inside = (net: string) => {
    const p = parseCidr(net) as Cidr;
    if (c.prefix < p.prefix) return false;
    const mask = (0xffffffff << (32 - p.prefix)) >>> 0;
    return (c.base & mask) >>> 0 === p.base;
  };
  return inside('10.0.0.0/8') || inside('172.16.0.0/12') || inside('192.168.0.0/16');
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
