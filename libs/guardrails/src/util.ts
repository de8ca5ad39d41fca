import type { ElementView } from './types';

/** Small helpers for reading synthesized Terraform JSON in rules. */

/** cdktf writes a single nested block as an object or as a one-element list; rules treat both alike. */
export function blocks(value: unknown): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as Record<string, unknown>[];
}

/** The value at a dotted path, descending into the first element of block lists. */
export function at(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const key of dotted.split('.')) {
    if (Array.isArray(cur)) cur = cur[0];
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** A Terraform expression such as `${aws_kms_key.logs.arn}` (known at apply time) rather than a literal. */
export function isExpression(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${');
}

export function isTruthy(value: unknown): boolean {
  return value === true || value === 'true';
}

export const ANYWHERE = ['0.0.0.0/0', '::/0'];

/**
 * The ingress entries an element adds, from inline blocks of a security group or from a separate rule resource
 * (`aws_security_group_rule`, `aws_vpc_security_group_ingress_rule`). `sg` is the group: its address for inline
 * blocks, the rule's `security_group_id` (`${aws_security_group.x.id}`) otherwise.
 */
export function ingressEntries(element: ElementView): { cidrs: string[]; from: number; to: number; sg: string }[] {
  const c = element.config;
  const num = (v: unknown) => (typeof v === 'number' ? v : Number(v));
  switch (element.type) {
    case 'aws_security_group':
      return blocks(c.ingress).map((i) => ({
        cidrs: [...((i.cidr_blocks as string[]) ?? []), ...((i.ipv6_cidr_blocks as string[]) ?? [])],
        from: num(i.from_port),
        to: num(i.to_port),
        sg: element.address,
      }));
    case 'aws_security_group_rule':
      if (c.type !== 'ingress') return [];
      return [{ cidrs: [...((c.cidr_blocks as string[]) ?? []), ...((c.ipv6_cidr_blocks as string[]) ?? [])], from: num(c.from_port), to: num(c.to_port), sg: String(c.security_group_id) }];
    case 'aws_vpc_security_group_ingress_rule':
      return [{ cidrs: [c.cidr_ipv4, c.cidr_ipv6].filter((x): x is string => typeof x === 'string'), from: c.ip_protocol === '-1' ? 0 : num(c.from_port), to: c.ip_protocol === '-1' ? 65535 : num(c.to_port), sg: String(c.security_group_id) }];
    default:
      return [];
  }
}

