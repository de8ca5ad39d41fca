import type { Construct } from 'constructs';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';

/**
 * The IAM role a `grant*` helper gives access to (aws-cdk-lib's `IGrantable`, in Terraform terms): the role's name (a
 * token from another stack is fine) and where the grant is written — a construct in a stack that may reference both
 * the role and the resource. In this platform that is the workloads stack: the cluster stack makes the roles, the data
 * stack the resources, and neither may depend on the other.
 */
export interface Grantee {
  readonly scope: Construct;
  /** Prefix of the grants' construct ids in `scope`, one per role (e.g. `service-grant`). */
  readonly id: string;
  readonly roleName: string;
}

/**
 * Adds `statements` to the grantee's role as one inline policy (aws_iam_role_policy) named `name`, unique per role;
 * its construct id is `<grantee.id>-<name>`. Returned so that what needs the access can depend on it.
 */
export function grantStatements(grantee: Grantee, name: string, statements: DataAwsIamPolicyDocumentStatement[]): IamRolePolicy {
  const id = `${grantee.id}-${name}`;
  const doc = new DataAwsIamPolicyDocument(grantee.scope, `${id}-doc`, { statement: statements });
  return new IamRolePolicy(grantee.scope, id, { role: grantee.roleName, name, policy: doc.json });
}

/** `s3.<region>.amazonaws.com`: KMS use only as that service makes it on the caller's behalf (`kms:ViaService`). */
export function viaService(service: string, region: string): DataAwsIamPolicyDocumentStatement['condition'] {
  return [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`${service}.${region}.amazonaws.com`] }];
}

/** A Secrets Manager secret of the layer, encrypted with its secrets key: its ARN and who may read it. */
export class SecretRef {
  constructor(
    /** The secret's ARN. */
    readonly arn: string,
    private readonly opts: { readonly name: string; readonly secretsKeyArn: string; readonly region: string },
  ) {}

  /** Read the value (GetSecretValue, DescribeSecret) and decrypt it with the secrets key, only through Secrets Manager. */
  grantRead(grantee: Grantee): IamRolePolicy {
    return grantStatements(grantee, `${this.opts.name}-read`, [
      { sid: 'ReadSecret', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [this.arn] },
      { sid: 'DecryptSecret', actions: ['kms:Decrypt'], resources: [this.opts.secretsKeyArn], condition: viaService('secretsmanager', this.opts.region) },
    ]);
  }
}
