import { evaluate, fromDocument, wildcardMatch, type Statement } from '../src/bootstrap/policy-eval';

// The evaluator the role tests rely on, checked against AWS's documented rules (IAM User Guide → "Policy evaluation
// logic", "Condition operators").
describe('policy-eval', () => {
  const allowS3: Statement = { Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::b/*' };

  it('matches IAM wildcards: * any run, ? one character; actions case-insensitively, resources not', () => {
    expect(wildcardMatch('s3:Get*', 's3:getobject', true)).toBe(true);
    expect(wildcardMatch('arn:aws:s3:::B/*', 'arn:aws:s3:::b/x')).toBe(false);
    expect(wildcardMatch('secret:name-??????', 'secret:name-AbCdEf')).toBe(true);
    expect(wildcardMatch('secret:name-??????', 'secret:name-admin-AbCdEf')).toBe(false);
  });

  it('denies implicitly without an Allow, and an explicit Deny wins over any Allow', () => {
    expect(evaluate([allowS3], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' }).decision).toBe('allow');
    expect(evaluate([allowS3], { action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' }).decision).toBe('implicit-deny');
    const deny: Statement = { Effect: 'Deny', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::b/state/*' };
    expect(evaluate([allowS3, deny], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/k' }).decision).toBe('explicit-deny');
    expect(evaluate([allowS3, deny], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/state/x' }).decision).toBe('allow');
  });

  it('a permissions boundary caps: both must allow; NotAction in the boundary leaves the rest out', () => {
    const admin: Statement[] = [{ Effect: 'Allow', Action: '*', Resource: '*' }];
    const boundary: Statement[] = [{ Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' }];
    expect(evaluate(admin, { action: 'ec2:RunInstances', resource: '*' }, boundary).decision).toBe('allow');
    expect(evaluate(admin, { action: 'iam:CreateRole', resource: '*' }, boundary).decision).toBe('implicit-deny');
    expect(evaluate([], { action: 'ec2:RunInstances', resource: '*' }, boundary).decision).toBe('implicit-deny');
  });

  it('a negated operator matches when the key is absent; a positive one does not; IfExists passes on absence', () => {
    const deny: Statement = { Effect: 'Deny', Action: 'iam:CreateRole', Resource: '*', Condition: { StringNotEquals: { 'iam:PermissionsBoundary': 'arn:b' } } };
    const admin: Statement = { Effect: 'Allow', Action: '*', Resource: '*' };
    expect(evaluate([admin, deny], { action: 'iam:CreateRole', resource: 'r' }).decision).toBe('explicit-deny');
    expect(evaluate([admin, deny], { action: 'iam:CreateRole', resource: 'r', context: { 'iam:PermissionsBoundary': 'arn:b' } }).decision).toBe('allow');
    const needs: Statement = { Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } } };
    expect(evaluate([needs], { action: 'kms:Decrypt', resource: 'k' }).decision).toBe('implicit-deny');
    const ifExists: Statement = { ...needs, Condition: { StringEqualsIfExists: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } } };
    expect(evaluate([ifExists], { action: 'kms:Decrypt', resource: 'k' }).decision).toBe('allow');
  });

  it('several values of one key are ORed, several keys ANDed; an unknown operator throws instead of guessing', () => {
    const st: Statement = { Effect: 'Allow', Action: 'x:Y', Resource: '*', Condition: { StringLike: { a: ['1*', '2*'], b: 'z' } } };
    expect(evaluate([st], { action: 'x:Y', resource: 'r', context: { a: '22', b: 'z' } }).decision).toBe('allow');
    expect(evaluate([st], { action: 'x:Y', resource: 'r', context: { a: '22', b: 'q' } }).decision).toBe('implicit-deny');
    expect(() => evaluate([{ ...st, Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } } }], { action: 'x:Y', resource: 'r', context: { 'aws:CurrentTime': 'x' } })).toThrow(/DateGreaterThan is not supported/);
  });

  it('reads aws_iam_policy_document statements, merging conditions on one operator and resolving tokens', () => {
    const [st] = fromDocument(
      [{ effect: 'Deny', actions: ['kms:Decrypt'], not_resources: ['${key}'], condition: [{ test: 'StringNotLike', variable: 'k', values: ['a'] }, { test: 'StringNotLike', variable: 'k', values: ['b'] }] }],
      (s) => s.replace('${key}', 'arn:key'),
    );
    expect(st).toEqual({ Sid: undefined, Effect: 'Deny', Action: ['kms:Decrypt'], NotResource: ['arn:key'], Condition: { StringNotLike: { k: ['a', 'b'] } } });
  });
});
