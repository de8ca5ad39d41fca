/**
 * Typed IAM policy documents rendered to JSON at synth. Used for KMS key policies and bucket policies, where
 * "Resource": "*" means "this key/bucket" — checkov's IAM-policy checks (CKV_AWS_109/111/356) read
 * aws_iam_policy_document data sources as identity policies and would flag every key policy; a resource
 * policy attribute is checked by the resource's own checks instead. Identity policies keep using
 * DataAwsIamPolicyDocument.
 */
import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: '*' | { readonly AWS?: string | string[]; readonly Service?: string | string[]; readonly Federated?: string | string[] };
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/** A policy document as JSON (tokens inside strings are resolved by cdktf at synth). */
export function policyJson(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** Deny any request to the bucket that is not TLS 1.2+: the statements every bucket policy of the platform carries. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyStatement[] {
  const Resource = [bucketArn, `${bucketArn}/*`];
  return [
    { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    { Sid: 'DenyTlsBelow12', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource, Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } },
  ];
}

/** The same statements for an `aws_iam_policy_document` (for policies that add statements referencing other stacks). */
export function tlsOnlyBucketStatements(bucketArn: string): DataAwsIamPolicyDocumentStatement[] {
  return tlsOnlyBucketPolicy(bucketArn).map((st) => ({
    sid: st.Sid,
    effect: st.Effect,
    principals: [{ type: '*', identifiers: ['*'] }],
    actions: [st.Action as string],
    resources: st.Resource as string[],
    condition: Object.entries(st.Condition ?? {}).flatMap(([test, byVar]) => Object.entries(byVar).map(([variable, v]) => ({ test, variable, values: [String(v)] }))),
  }));
}
