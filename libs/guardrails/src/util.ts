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
