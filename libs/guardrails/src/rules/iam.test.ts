import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IAM_CONTEXT_KEY } from '@awp/config';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { checkStack, iamRules } from '../index';
import { CONFUSED_DEPUTY_KEY_PRINCIPALS } from './iam';

const BOUNDARY = 'arn:aws:iam::111111111111:policy/delivery/dev-workload-boundary';
const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

function stack(convention?: { path: string; permissionsBoundary?: string }): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'test');
  if (convention) s.node.setContext(IAM_CONTEXT_KEY, convention);
  new AwsProvider(s, 'aws', { region: 'eu-west-1' });
  return s;
}
const findings = (s: TerraformStack) => checkStack(s, iamRules).map((f) => [f.ruleId, f.path, f.message]);

describe('IAM rules', () => {
  it('AWP-IAM-001 fires on a role without the workload boundary or outside the platform path, and passes a conforming one', () => {
    const s = stack({ path: '/platform/dev/', permissionsBoundary: BOUNDARY });
    new IamRole(s, 'unbounded', { name: 'dev-a', assumeRolePolicy: trust, path: '/platform/dev/' });
    new IamRole(s, 'other-boundary', { name: 'dev-b', assumeRolePolicy: trust, path: '/platform/dev/', permissionsBoundary: 'arn:aws:iam::111111111111:policy/admin' });
    new IamRole(s, 'root-path', { name: 'dev-c', assumeRolePolicy: trust, permissionsBoundary: BOUNDARY });
    new IamRole(s, 'good', { name: 'dev-d', assumeRolePolicy: trust, path: '/platform/dev/', permissionsBoundary: BOUNDARY });
    expect(findings(s)).toEqual([
      ['AWP-IAM-001', 'test/unbounded', 'role has no permissions_boundary'],
      ['AWP-IAM-001', 'test/other-boundary', `role's permissions_boundary is arn:aws:iam::111111111111:policy/admin, expected ${BOUNDARY}`],
      ['AWP-IAM-001', 'test/root-path', 'role\'s path is "/", expected /platform/dev/'],
    ]);
  });

  it('AWP-IAM-001 accepts any boundary where the stack names none (the bootstrap stack), but never none', () => {
    const s = stack({ path: '/delivery/' });
    new IamRole(s, 'bounded', { name: 'plan', assumeRolePolicy: trust, path: '/delivery/', permissionsBoundary: '${aws_iam_policy.plan.arn}' });
    new IamRole(s, 'unbounded', { name: 'apply', assumeRolePolicy: trust, path: '/delivery/' });
    expect(findings(s)).toEqual([['AWP-IAM-001', 'test/unbounded', 'role has no permissions_boundary']]);
  });

  it('AWP-IAM-002 fires on a policy outside the path', () => {
    const s = stack({ path: '/platform/dev/', permissionsBoundary: BOUNDARY });
    new IamPolicy(s, 'outside', { name: 'dev-x', policy: trust });
    new IamPolicy(s, 'inside', { name: 'dev-y', policy: trust, path: '/platform/dev/' });
    expect(findings(s)).toEqual([['AWP-IAM-002', 'test/outside', 'policy\'s path is "/", expected /platform/dev/']]);
  });

  it('checks only stacks that declare an IAM convention (a library test\'s bare stack is not a platform stack)', () => {
    const s = stack();
    new IamRole(s, 'any', { name: 'x', assumeRolePolicy: trust });
    expect(findings(s)).toEqual([]);
  });
});

describe('AWP-IAM-003 confused-deputy keys only for services that send them', () => {
  const doc = (service: string, condition?: Record<string, Record<string, string>>) =>
    JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) }] });
  const ids = (s: TerraformStack) => checkStack(s, iamRules).filter((f) => f.ruleId === 'AWP-IAM-003');
  const podsRole = (s: TerraformStack, condition: { test: string; variable: string; values: string[] }) => {
    const trust = new DataAwsIamPolicyDocument(s, 'pods-trust', {
      statement: [{ actions: ['sts:AssumeRole', 'sts:TagSession'], principals: [{ type: 'Service', identifiers: ['pods.eks.amazonaws.com'] }], condition: [condition] }],
    });
    new IamRole(s, 'pods', { name: 'pods', assumeRolePolicy: trust.json });
  };

  it('fires on Pod Identity or EC2 conditioned on aws:SourceAccount/aws:SourceArn, in a policy document or literal JSON', () => {
    const s = stack();
    podsRole(s, { test: 'ArnEquals', variable: 'aws:SourceArn', values: ['arn:aws:eks:eu-west-1:111111111111:cluster/c'] });
    new IamRole(s, 'node', { name: 'node', assumeRolePolicy: doc('ec2.amazonaws.com', { StringEquals: { 'aws:SourceAccount': '111111111111' } }) });
    const f = ids(s);
    expect(f.map((x) => x.path)).toEqual(['test/pods', 'test/node']);
    expect(f[0].message).toMatch(/conditions pods\.eks\.amazonaws\.com on aws:SourceArn/);
  });

  it('accepts the keys for a documented service, session tags for Pod Identity and no condition at all', () => {
    const s = stack();
    podsRole(s, { test: 'StringEquals', variable: 'aws:RequestTag/kubernetes-namespace', values: ['api'] });
    new IamRole(s, 'cluster', { name: 'cluster', assumeRolePolicy: doc('eks.amazonaws.com', { StringEquals: { 'aws:SourceAccount': '111111111111' } }) });
    new IamRole(s, 'node', { name: 'node', assumeRolePolicy: doc('ec2.amazonaws.com') });
    expect(ids(s)).toEqual([]);
    expect(Object.values(CONFUSED_DEPUTY_KEY_PRINCIPALS).every((url) => url.startsWith('https://docs.aws.amazon.com/'))).toBe(true);
  });
});
