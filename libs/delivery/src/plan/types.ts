/**
 * The parts of `terraform show -json <planfile>` (and `tofu show -json`) this library reads.
 * Only what is used is typed; everything else in a plan is ignored (unknown keys are allowed).
 * Reference: https://developer.hashicorp.com/terraform/internals/json-format
 */

export type PlanAction = 'no-op' | 'create' | 'read' | 'update' | 'delete' | 'forget';

export interface PlanChange {
  actions: PlanAction[];
  before?: unknown;
  after?: unknown;
  after_unknown?: unknown;
  before_sensitive?: unknown;
  after_sensitive?: unknown;
  replace_paths?: unknown[][];
  importing?: { id?: string; identity?: unknown } | null;
}

export interface PlanResourceChange {
  address: string;
  previous_address?: string;
  module_address?: string;
  mode?: 'managed' | 'data';
  type: string;
  name?: string;
  index?: unknown;
  deposed?: string;
  action_reason?: string;
  change: PlanChange;
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
  format_version: string;
  terraform_version?: string;
  resource_changes?: PlanResourceChange[];
  resource_drift?: PlanResourceChange[];
  output_changes?: Record<string, PlanOutputChange>;
  planned_values?: { outputs?: Record<string, { sensitive?: boolean }> };
  prior_state?: { values?: { outputs?: Record<string, { sensitive?: boolean; value?: unknown }> } };
  errored?: boolean;
  applyable?: boolean;
  complete?: boolean;
}
