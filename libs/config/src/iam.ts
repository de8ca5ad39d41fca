/**
 * Typed IAM policy documents rendered to JSON at synth. Used for KMS key policies and bucket policies, where
 * "Resource": "*" means "this key/bucket" — checkov's IAM-policy checks (CKV_AWS_109/111/356) read
 * aws_iam_policy_document data sources as identity policies and would flag every key policy; a resource
 * policy attribute is checked by the resource's own checks instead. Identity policies keep using
 * DataAwsIamPolicyDocument.
 */
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
