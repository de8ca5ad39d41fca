/** A resource, data source or provider as it appears in the synthesized Terraform JSON of one stack. */
export interface ElementView {
  readonly kind: 'resource' | 'data' | 'provider';
  /** Terraform type, e.g. `aws_security_group` (providers: `aws`, `kubernetes`, …). */
  readonly type: string;
  /** Logical name inside the stack (providers: the alias or `default`). */
  readonly name: string;
  /** `type.name`, or `data.type.name`, or `provider.aws[.alias]`. */
  readonly address: string;
  /** Construct path (`prod-network/vpc/vpc`): where a reader finds it in code. */
  readonly path: string;
  /** The element's attributes and blocks exactly as synthesized (snake_case), without cdktf's `//` metadata. */
  readonly config: Record<string, unknown>;
}

/** Everything a rule may look at: one element and the whole stack around it. */
export interface RuleContext {
  readonly element: ElementView;
  readonly stack: StackView;
}

export interface StackView {
  readonly name: string;
  /** The environment tier (`dev` | `staging` | `prod`), when the stack declares one. */
  readonly tier?: string;
  /** The stack's IAM convention (path of its roles and policies, the boundary its roles carry), when it declares one. */
  readonly iam?: { readonly path: string; readonly permissionsBoundary?: string };
  readonly elements: readonly ElementView[];
  /** Elements of one Terraform type. */
  ofType(type: string, kind?: ElementView['kind']): ElementView[];
  /** Elements whose attributes mention `${<address>.` (i.e. reference the given element). */
  referencing(address: string, type?: string): ElementView[];
}

export type Severity = 'error' | 'warning';

/** A synth-time policy rule. */
export interface GuardrailRule {
  /** Stable id, e.g. `AWP-NET-001`; suppressions name it. */
  readonly id: string;
  readonly severity: Severity;
  /** One line: what the rule wants. */
  readonly description: string;
  /** One line: how to fix a finding. */
  readonly fix: string;
  /** Terraform types this rule looks at (providers: `provider.aws`); omit for every element. */
  readonly appliesTo?: readonly string[];
  /** Returns violation messages (empty or undefined when the element complies). */
  check(ctx: RuleContext): string | readonly string[] | undefined | void;
}

export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly stack: string;
  readonly address: string;
  readonly path: string;
  readonly message: string;
  readonly fix: string;
  /** Present when a suppression with a reason covers the finding. */
  readonly suppressedBecause?: string;
}
