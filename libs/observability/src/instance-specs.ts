/**
 * Memory of RDS instance classes, for thresholds that are a share of it (FreeableMemory) and for PostgreSQL's
 * default max_connections on RDS: LEAST({DBInstanceClassMemory/9531392}, 5000).
 */

const SIZE_VCPUS: Record<string, number> = {
  large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16, '8xlarge': 32, '12xlarge': 48, '16xlarge': 64, '24xlarge': 96, '32xlarge': 128, '48xlarge': 192,
};
// GiB per vCPU by family letter: m = general purpose, r = memory optimized, x = extra memory, c = compute.
const GIB_PER_VCPU: Record<string, number> = { m: 4, r: 8, x: 16, c: 2 };
// Burstable classes do not follow a ratio.
const BURSTABLE_GIB: Record<string, number> = { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, '2xlarge': 32 };

/** Memory in GiB of an RDS class such as `db.r7g.large`; undefined when the class is not one we can derive. */
export function rdsInstanceMemoryGib(instanceClass: string): number | undefined {
  const m = /^db\.([a-z])(\d+)([a-z-]*)\.([a-z0-9]+)$/.exec(instanceClass);
  if (!m) return undefined;
  const [, family, , , size] = m;
  if (family === 't') return BURSTABLE_GIB[size];
  // x2g/x2iedn and similar: 'x' classes; the r-family with 'z' (r5b etc.) keep the r ratio.
  const ratio = GIB_PER_VCPU[family];
  const vcpus = SIZE_VCPUS[size];
  return ratio && vcpus ? ratio * vcpus : undefined;
}

/**
 * RDS for PostgreSQL's default max_connections for a class: LEAST(DBInstanceClassMemory / 9531392, 5000).
 * DBInstanceClassMemory is the class memory less what the OS and RDS reserve; we take 90 % of it, which keeps
 * the derived alarm threshold on the safe (lower) side.
 */
export function rdsPostgresDefaultMaxConnections(instanceClass: string): number | undefined {
  const gib = rdsInstanceMemoryGib(instanceClass);
  if (gib === undefined) return undefined;
  return Math.min(Math.floor((gib * 1024 ** 3 * 0.9) / 9531392), 5000);
}
