/**
 * A small evaluator of IAM identity policies, permissions boundaries and their conditions, following AWS's
 * documented evaluation logic (IAM User Guide → "Policy evaluation logic"): an explicit Deny in any policy wins;
 * otherwise a request is allowed only when an identity policy allows it AND, if the principal has a permissions
 * boundary, the boundary allows it too. Used by the tests to prove what the delivery roles can and cannot do from
 * the synthesized JSON, not from what the code meant to write.
 *
 * Scope: Action/NotAction, Resource/NotResource, and the condition operators our policies use. An operator it does
 * not know throws, so a new condition cannot be silently misread.
 */

export type Effect = 'Allow' | 'Deny';
export type ConditionBlock = Record<string, Record<string, string | readonly string[] | boolean>>;

/** One statement in AWS's JSON shape. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: Effect;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: ConditionBlock;
}

export interface Request {
  /** `service:Action`. */
  readonly action: string;
  readonly resource: string;
  /** Request context keys (`aws:SourceAccount`, `kms:ViaService`, …); absent keys are simply missing. */
  readonly context?: Readonly<Record<string, string>>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface Evaluation {
  readonly decision: Decision;
  /** The statements that decided: the denying ones, or the allowing ones. */
  readonly by: readonly Statement[];
}

const list = (v: string | readonly string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : [...v]);

/** IAM's wildcard match: `*` any run of characters, `?` exactly one. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'is' : 's');
  return re.test(value);
}

// Action names are case-insensitive, resources (ARNs) are not (IAM User Guide → "IAM JSON policy elements: Action").
const actionMatches = (st: Statement, action: string): boolean =>
  st.NotAction !== undefined ? !list(st.NotAction).some((p) => wildcardMatch(p, action, true)) : list(st.Action).some((p) => wildcardMatch(p, action, true));
const resourceMatches = (st: Statement, resource: string): boolean =>
  st.NotResource !== undefined ? !list(st.NotResource).some((p) => wildcardMatch(p, resource)) : list(st.Resource).some((p) => wildcardMatch(p, resource));

const NEGATED = new Set(['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'ArnNotEquals', 'ArnNotLike', 'NumericNotEquals']);

function compare(base: string, pattern: string, actual: string): boolean {
  switch (base) {
    case 'StringEquals':
    case 'StringNotEquals':
    case 'ArnEquals':
    case 'ArnNotEquals':
      return pattern === actual;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return pattern.toLowerCase() === actual.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
    case 'ArnLike':
    case 'ArnNotLike':
      return wildcardMatch(pattern, actual);
    case 'Bool':
      return pattern.toLowerCase() === actual.toLowerCase();
    case 'NumericLessThan':
      return Number(actual) < Number(pattern);
    case 'NumericEquals':
    case 'NumericNotEquals':
      return Number(actual) === Number(pattern);
    default:
      throw new Error(`policy-eval: condition operator ${base} is not supported`);
  }
}

/**
 * One condition operator block. AWS: "If the key that you specify in a policy condition is not present in the
 * request context, the values do not match and the condition is false. If the policy condition requires that the
 * key is not matched, such as StringNotLike or ArnNotLike, and the right key is not present, the condition is true."
 * Several values for one key are ORed (for a negated operator: none may match); several keys are ANDed.
 */
function conditionHolds(operator: string, byKey: Record<string, string | readonly string[] | boolean>, context: Readonly<Record<string, string>>): boolean {
  const ifExists = operator.endsWith('IfExists');
  const base = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  return Object.entries(byKey).every(([key, raw]) => {
    const values = typeof raw === 'boolean' ? [String(raw)] : list(raw);
    const actual = context[key];
    if (base === 'Null') return values.some((v) => (v === 'true') === (actual === undefined));
    if (actual === undefined) return ifExists || NEGATED.has(base);
    const anyMatch = values.some((v) => compare(base, v, actual));
    return NEGATED.has(base) ? !anyMatch : anyMatch;
  });
}

/** Whether a statement applies to the request (action, resource and every condition). */
export function statementMatches(st: Statement, req: Request): boolean {
  if (!actionMatches(st, req.action) || !resourceMatches(st, req.resource)) return false;
  return Object.entries(st.Condition ?? {}).every(([op, byKey]) => conditionHolds(op, byKey, req.context ?? {}));
}

/**
 * Evaluates a request against a principal's identity policies (all statements of all attached and inline
 * policies) and, if it has one, its permissions boundary.
 */
export function evaluate(identity: readonly Statement[], req: Request, boundary?: readonly Statement[]): Evaluation {
  const all = [...identity, ...(boundary ?? [])];
  const denies = all.filter((s) => s.Effect === 'Deny' && statementMatches(s, req));
  if (denies.length > 0) return { decision: 'explicit-deny', by: denies };
  const allows = identity.filter((s) => s.Effect === 'Allow' && statementMatches(s, req));
  if (allows.length === 0) return { decision: 'implicit-deny', by: [] };
  if (boundary && !boundary.some((s) => s.Effect === 'Allow' && statementMatches(s, req))) return { decision: 'implicit-deny', by: [] };
  return { decision: 'allow', by: allows };
}

/** A statement of an `aws_iam_policy_document` data source as synthesized (snake_case blocks). */
export interface DocumentStatement {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: readonly string[];
  readonly not_actions?: readonly string[];
  readonly resources?: readonly string[];
  readonly not_resources?: readonly string[];
  readonly condition?: readonly { readonly test: string; readonly variable: string; readonly values: readonly string[] }[];
}

/** Converts `aws_iam_policy_document` statements to AWS's JSON shape, resolving tokens through `resolve`. */
export function fromDocument(statements: readonly DocumentStatement[], resolve: (s: string) => string = (s) => s): Statement[] {
  return statements.map((s) => {
    const condition: Record<string, Record<string, string[]>> = {};
    for (const c of s.condition ?? []) {
      const byKey = (condition[c.test] ??= {});
      byKey[resolve(c.variable)] = [...(byKey[resolve(c.variable)] ?? []), ...c.values.map(resolve)];
    }
    return {
      Sid: s.sid,
      Effect: s.effect === 'Deny' ? 'Deny' : 'Allow',
      ...(s.actions ? { Action: s.actions } : {}),
      ...(s.not_actions ? { NotAction: s.not_actions } : {}),
      ...(s.resources ? { Resource: s.resources.map(resolve) } : {}),
      ...(s.not_resources ? { NotResource: s.not_resources.map(resolve) } : {}),
      ...(Object.keys(condition).length ? { Condition: condition } : {}),
    };
  });
}
