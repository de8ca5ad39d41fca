/**
 * The parts of `terraform show -json <planfile>` (and `tofu show -json`) this library reads, as they are after
 * {@link normalizePlan}: every resource change has an `address` and a `type` (derived when an older format or a
 * trimmed file leaves them out) and a non-empty `change.actions`; everything the report does not use is dropped.
 * Reference: https://developer.hashicorp.com/terraform/internals/json-format
 */

/** The actions Terraform writes today. Others (a future Terraform's) are carried through as plain strings. */
export const KNOWN_ACTIONS = ['no-op', 'create', 'read', 'update', 'delete', 'forget'] as const;
export type KnownPlanAction = (typeof KNOWN_ACTIONS)[number];
// `string & {}` keeps editor completion for the known ones while allowing any other string.
export type PlanAction = KnownPlanAction | (string & {});

export interface PlanChange {
  actions: PlanAction[];
  before?: unknown;
  after?: unknown;
  after_unknown?: unknown;
  before_sensitive?: unknown;
  after_sensitive?: unknown;
  replace_paths?: unknown[][];
  /** Present (an object) when the change also imports the object: `{ id }`, `{ identity }` or `{ unknown: true }`. */
  importing?: { id?: string; identity?: unknown; unknown?: boolean } | null;
}

export interface PlanResourceChange {
  address: string;
  previous_address?: string;
  module_address?: string;
  mode?: string;
  type: string;
  name?: string;
  index?: unknown;
  deposed?: string;
  action_reason?: string;
  change: PlanChange;
}

/** A change Terraform could not plan yet (Terraform ≥ 1.10 with deferred actions): planned in a later run. */
export interface PlanDeferredChange {
  reason: string;
  resource_change: PlanResourceChange;
}

export interface PlanOutputChange {
  actions: PlanAction[];
  before?: unknown;
  after?: unknown;
  after_unknown?: unknown;
  before_sensitive?: unknown;
  after_sensitive?: unknown;
}

export interface TerraformPlan {
  /** Absent only in hand-trimmed files; Terraform always writes it. */
  format_version?: string;
  terraform_version?: string;
  resource_changes?: PlanResourceChange[];
  resource_drift?: PlanResourceChange[];
  deferred_changes?: PlanDeferredChange[];
  /** Terraform ≥ 1.14 `action` blocks invoked by this plan: their addresses. */
  action_invocations?: { address: string }[];
  output_changes?: Record<string, PlanOutputChange>;
  planned_values?: { outputs?: Record<string, { sensitive?: boolean }> };
  prior_state?: { values?: { outputs?: Record<string, { sensitive?: boolean; value?: unknown }> } };
  errored?: boolean;
  applyable?: boolean;
  complete?: boolean;
}
