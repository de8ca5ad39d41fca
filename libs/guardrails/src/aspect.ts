import { Aspects, TerraformStack, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { collectSuppressions, evaluate, stackView } from './engine';
import { IAM_CONTEXT_KEY } from '@awp/config';
import type { Finding, GuardrailRule, StackView } from './types';

/** Context key a stack sets to tell the rules its tier (PlatformStack sets it from the environment file). */
export const TIER_CONTEXT_KEY = 'awp:tier';

/** Raised when a synth has guardrail errors; the message lists every one of them. */
export class GuardrailError extends Error {
  constructor(readonly findings: readonly Finding[]) {
    super(formatFindings(findings.filter((f) => f.severity === 'error' && !f.suppressedBecause)));
    this.name = 'GuardrailError';
  }
}

/** Checks one stack and returns all findings (suppressed ones included, marked). */
export function checkStack(stack: TerraformStack, rules: readonly GuardrailRule[]): Finding[] {
  const json = stack.toTerraform() as Record<string, unknown>;
  const tier = stack.node.tryGetContext(TIER_CONTEXT_KEY) as string | undefined;
  const iam = stack.node.tryGetContext(IAM_CONTEXT_KEY) as StackView['iam'];
  return evaluate(stackView(stack.node.id, json, tier, iam), rules, collectSuppressions(stack));
}

/**
 * A cdktf Aspect: apply it to the App (`new Guardrails(rules).applyTo(app)`) and every stack is checked
 * as it is synthesized. Findings are collected, not thrown, so the caller gets the full list across all stacks
 * and decides (the platform CLI synthesizes into a scratch folder and refuses to publish on any error).
 */
export class Guardrails implements IAspect {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly rules: readonly GuardrailRule[]) {}

  /**
   * Adds the aspect to every stack under `scope`. (cdktf invokes aspects per stack, starting at the stack:
   * an aspect added to the App itself is never visited.) Call after the stacks are built.
   */
  applyTo(scope: IConstruct): this {
    for (const c of scope.node.findAll()) if (TerraformStack.isStack(c)) Aspects.of(c).add(this);
    return this;
  }

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node) || this.seen.has(node.node.path)) return;
    this.seen.add(node.node.path);
    this.findings.push(...checkStack(node, this.rules));
  }

  get errors(): Finding[] {
    return this.findings.filter((f) => f.severity === 'error' && !f.suppressedBecause);
  }

  get warnings(): Finding[] {
    return this.findings.filter((f) => f.severity === 'warning' && !f.suppressedBecause);
  }

  get suppressed(): Finding[] {
    return this.findings.filter((f) => f.suppressedBecause);
  }

  /** Throws GuardrailError when any unsuppressed error was found. */
  assertClean(): void {
    if (this.errors.length > 0) throw new GuardrailError(this.findings);
  }
}

export function formatFinding(f: Finding): string {
  const head = `[${f.ruleId}] ${f.path} (${f.address}): ${f.message}`;
  return f.suppressedBecause ? `${head} — suppressed: ${f.suppressedBecause}` : `${head}\n      fix: ${f.fix}`;
}

export function formatFindings(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'guardrails: no findings';
  const errors = findings.filter((f) => f.severity === 'error').length;
  return `guardrails: ${errors} error${errors === 1 ? '' : 's'}, ${findings.length - errors} warning${findings.length - errors === 1 ? '' : 's'}\n${findings.map((f) => `  ${f.severity.toUpperCase()} ${formatFinding(f)}`).join('\n')}`;
}
