/**
 * Names for resources whose type has a unique name and no `name_prefix` in the AWS provider (6.25), yet must be
 * replaced create-before-destroy. A fixed name would collide with the old resource ("already exists"); a name that
 * ends in a hash of every attribute that forces the replacement changes exactly when a replacement happens.
 */

/**
 * Attributes that force a replacement, per type without `name_prefix` (provider schema; for the ElastiCache
 * parameter group: family and description, hashicorp/terraform-provider-aws#41845 asks for a prefix).
 */
export const REPLACEMENT_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  aws_elasticache_parameter_group: ['family', 'description'],
};

/** 8 hex digits of a FNV-1a hash of the given values, in order: the suffix such a name ends with. */
export function replacementSuffix(values: readonly (string | undefined)[]): string {
  let h = 0x811c9dc5;
  for (const ch of values.map((v) => v ?? '').join('\u0000')) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
