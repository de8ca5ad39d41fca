import type { ElementView, GuardrailRule, StackView } from '../types';
import { blocks } from '../util';

/**
 * IAM rules for stacks that declare an IAM convention (PlatformStack: the platform path and the workload boundary;
 * the bootstrap stack: the delivery path). The apply role may only create roles under the platform path that carry
 * the workload boundary (its own boundary denies anything else), so a role without them fails at apply, or — if the
 * boundary were ever loosened — becomes an unbounded role that outlives the deploy. These rules fail the synth first.
 */
export const iamRules: GuardrailRule[] = [
  {
    id: 'AWP-IAM-001',
    severity: 'error',
    description: 'Every IAM role carries a permissions boundary (in platform stacks: the workload boundary) and lives under the stack\'s IAM path.',
    fix: 'Create roles inside a PlatformStack (it sets path and permissions_boundary) and do not override them; see libs/config platformIam().',
    appliesTo: ['aws_iam_role'],
    check: ({ element, stack }) => {
      if (!stack.iam) return undefined;
      const problems: string[] = [];
      const boundary = element.config.permissions_boundary;
      const expected = stack.iam.permissionsBoundary;
      if (typeof boundary !== 'string' || boundary === '') problems.push('role has no permissions_boundary');
      else if (expected && boundary !== expected) problems.push(`role's permissions_boundary is ${boundary}, expected ${expected}`);
      if (element.config.path !== stack.iam.path) problems.push(`role's path is ${JSON.stringify(element.config.path ?? '/')}, expected ${stack.iam.path}`);
      return problems;
    },
  },
  {
    id: 'AWP-IAM-002',
    severity: 'error',
    description: 'Every customer-managed IAM policy lives under the stack\'s IAM path (the apply role may only change policies there).',
    fix: 'Create policies inside a PlatformStack (it sets the path) and do not override it.',
    appliesTo: ['aws_iam_policy'],
    check: ({ element, stack }) => (stack.iam && element.config.path !== stack.iam.path ? `policy's path is ${JSON.stringify(element.config.path ?? '/')}, expected ${stack.iam.path}` : undefined),
  },
];

/**
 * Service principals whose documentation says they send aws:SourceAccount / aws:SourceArn when they assume a role,
 * each with the page that says so. A condition on a key the service never sends fails closed: the role cannot be
 * assumed (EKS Pod Identity sends neither; its documented restriction is the aws:RequestTag/* session tags).
 */
export const CONFUSED_DEPUTY_KEY_PRINCIPALS: Readonly<Record<string, string>> = {
  'eks.amazonaws.com': 'https://docs.aws.amazon.com/eks/latest/userguide/cross-service-confused-deputy-prevention.html',
  'vpc-flow-logs.amazonaws.com': 'https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html',
  'monitoring.rds.amazonaws.com': 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html',
};
const CONFUSED_DEPUTY_KEYS = ['aws:sourceaccount', 'aws:sourcearn', 'aws:sourceorgid', 'aws:sourceorgpaths'];

/** The trust statements of a role: from a data aws_iam_policy_document it references, or a literal JSON document. */
function trustStatements(role: ElementView, stack: StackView): { services: string[]; keys: string[] }[] {
  const doc = role.config.assume_role_policy;
  const ref = typeof doc === 'string' ? /^\$\{data\.aws_iam_policy_document\.([^.}]+)\.json\}$/.exec(doc) : null;
  if (ref) {
    const data = stack.ofType('aws_iam_policy_document', 'data').find((d) => d.name === ref[1]);
    return blocks(data?.config.statement).map((st) => ({
      services: blocks(st.principals).filter((p) => p.type === 'Service').flatMap((p) => (p.identifiers as string[]) ?? []),
      keys: blocks(st.condition).map((c) => String(c.variable)),
    }));
  }
  if (typeof doc !== 'string' || doc.includes('${')) return [];
  const parsed = JSON.parse(doc) as { Statement?: unknown };
  return blocks(parsed.Statement).map((st) => {
    const service = (st.Principal as { Service?: string | string[] } | undefined)?.Service;
    const conditions = Object.values((st.Condition as Record<string, Record<string, unknown>>) ?? {});
    return { services: service === undefined ? [] : ([] as string[]).concat(service), keys: conditions.flatMap((c) => Object.keys(c)) };
  });
}

iamRules.push({
  id: 'AWP-IAM-003',
  severity: 'error',
  description: 'A role trust policy conditions a service principal on confused-deputy keys (aws:SourceAccount, aws:SourceArn, …) only where the service documents sending them (CONFUSED_DEPUTY_KEY_PRINCIPALS).',
  fix: "Drop the keys the service does not send (EKS Pod Identity: condition on aws:RequestTag/eks-cluster-arn, kubernetes-namespace, kubernetes-service-account instead), or add the service to the allow-list with the page that documents them.",
  appliesTo: ['aws_iam_role'],
  check: ({ element, stack }) =>
    trustStatements(element, stack).flatMap(({ services, keys }) => {
      const deputyKeys = keys.filter((k) => CONFUSED_DEPUTY_KEYS.includes(k.toLowerCase()));
      return deputyKeys.length === 0
        ? []
        : services.filter((svc) => !CONFUSED_DEPUTY_KEY_PRINCIPALS[svc]).map((svc) => `trust policy conditions ${svc} on ${deputyKeys.join(', ')}, which that service does not document sending: the role could never be assumed`);
    }),
});
