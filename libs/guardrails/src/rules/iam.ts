import type { GuardrailRule } from '../types';

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
