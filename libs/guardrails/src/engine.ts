import type { IConstruct } from 'constructs';
import type { ElementView, Finding, GuardrailRule, StackView } from './types';

type TfJson = Record<string, unknown>;

const META_KEY = '//';

function pathOf(value: unknown): string | undefined {
  const meta = (value as Record<string, unknown>)?.[META_KEY] as { metadata?: { path?: string } } | undefined;
  return meta?.metadata?.path;
}

function strip(value: Record<string, unknown>): Record<string, unknown> {
  const { [META_KEY]: _meta, ...rest } = value;
  return rest;
}

/** Builds the view of one synthesized stack (the JSON cdktf writes to cdk.tf.json). */
export function stackView(name: string, json: TfJson, tier?: string, iam?: StackView['iam']): StackView {
  const elements: ElementView[] = [];
  for (const kind of ['resource', 'data'] as const) {
    const byType = (json[kind] ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [type, byName] of Object.entries(byType)) {
      for (const [n, cfg] of Object.entries(byName)) {
        const address = kind === 'data' ? `data.${type}.${n}` : `${type}.${n}`;
        elements.push({ kind, type, name: n, address, path: pathOf(cfg) ?? `${name}/${address}`, config: strip(cfg) });
      }
    }
  }
  const providers = (json.provider ?? {}) as Record<string, Record<string, unknown>[]>;
  for (const [type, list] of Object.entries(providers)) {
    for (const cfg of list) {
      const alias = typeof cfg.alias === 'string' ? cfg.alias : undefined;
      elements.push({ kind: 'provider', type, name: alias ?? 'default', address: `provider.${type}${alias ? `.${alias}` : ''}`, path: `${name}/provider.${type}${alias ? `.${alias}` : ''}`, config: cfg });
    }
  }
  const serialized = new Map<ElementView, string>();
  const text = (e: ElementView) => {
    let s = serialized.get(e);
    if (s === undefined) serialized.set(e, (s = JSON.stringify(e.config)));
    return s;
  };
  return {
    name,
    tier,
    iam,
    elements,
    ofType: (type, kind = 'resource') => elements.filter((e) => e.type === type && e.kind === kind),
    referencing: (address, type) => elements.filter((e) => (!type || e.type === type) && text(e).includes(`\${${address}.`)),
  };
}

const SUPPRESSIONS = new WeakMap<IConstruct, { ruleId: string; reason: string }[]>();

/**
 * Suppresses a rule for a construct and everything below it. A reason is mandatory and is printed with the
 * synth output, so every exception is visible in review.
 */
export function suppress(scope: IConstruct, ruleId: string, reason: string): void {
  if (!/^[A-Z]+-[A-Z0-9]+-\d{3}$/.test(ruleId)) throw new Error(`suppress(${scope.node.path}): "${ruleId}" is not a rule id like AWP-NET-001`);
  if (!reason || reason.trim().length < 10) throw new Error(`suppress(${scope.node.path}, ${ruleId}): a reason of at least 10 characters is required`);
  const list = SUPPRESSIONS.get(scope) ?? [];
  list.push({ ruleId, reason: reason.trim() });
  SUPPRESSIONS.set(scope, list);
}

/** Suppressions declared on the scope or below, keyed by construct path. */
export function collectSuppressions(root: IConstruct): Map<string, { ruleId: string; reason: string }[]> {
  const out = new Map<string, { ruleId: string; reason: string }[]>();
  for (const c of root.node.findAll()) {
    const list = SUPPRESSIONS.get(c);
    if (list) out.set(c.node.path, list);
  }
  return out;
}

function findSuppression(suppressions: Map<string, { ruleId: string; reason: string }[]>, path: string, ruleId: string): string | undefined {
  for (const [scopePath, list] of suppressions) {
    if (path === scopePath || path.startsWith(`${scopePath}/`)) {
      const hit = list.find((s) => s.ruleId === ruleId);
      if (hit) return hit.reason;
    }
  }
  return undefined;
}

/** Runs the rules over one synthesized stack. Pure: the same JSON, rules and suppressions give the same findings. */
export function evaluate(
  stack: StackView,
  rules: readonly GuardrailRule[],
  suppressions: Map<string, { ruleId: string; reason: string }[]> = new Map(),
): Finding[] {
  const findings: Finding[] = [];
  for (const element of stack.elements) {
    const key = element.kind === 'provider' ? `provider.${element.type}` : element.kind === 'data' ? `data.${element.type}` : element.type;
    for (const rule of rules) {
      if (rule.appliesTo && !rule.appliesTo.includes(key)) continue;
      const result = rule.check({ element, stack });
      const messages = result === undefined ? [] : typeof result === 'string' ? [result] : [...result];
      for (const message of messages) {
        const suppressedBecause = findSuppression(suppressions, element.path, rule.id);
        findings.push({ ruleId: rule.id, severity: rule.severity, stack: stack.name, address: element.address, path: element.path, message, fix: rule.fix, ...(suppressedBecause ? { suppressedBecause } : {}) });
      }
    }
  }
  return findings;
}
