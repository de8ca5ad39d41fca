// No runtime imports: naming.ts (loaded alone through `@awp/config/naming`) imports these types.

/** Which guardrails apply: prod requires Multi-AZ, deletion protection, backups. */
export const TIERS = ['dev', 'staging', 'prod'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * What every layer's stack reads from an environment: its top-level fields. The zod schema of these fields and of the
 * whole file is assembled above the layers (apps/infra/src/environment); this package only states what `PlatformStack`
 * and the naming helpers need, so any assembled environment fits.
 */
export interface PlatformEnvironment {
  readonly name: string;
  readonly tier: Tier;
  readonly account: { readonly id: string };
  readonly region: string;
  readonly owner: string;
  readonly costCenter: string;
  /** `org/repo`. */
  readonly repository: string;
  readonly state: { readonly bucket: string; readonly region?: string; readonly keyPrefix: string };
  readonly delivery: { readonly planRoleName?: string; readonly applyRoleName?: string; readonly runsOn: readonly string[]; readonly planRunsOn?: readonly string[] };
}
