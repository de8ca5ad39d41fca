import { S3Backend, TerraformStack } from 'cdktf';
import type { Construct, IConstruct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { PlatformEnvironment } from './environment';
import { defaultTags, platformIam, stackName } from './naming';

/** The S3 key of a layer's Terraform state (the bootstrap stack's plan roles are scoped by it). */
export function stateObjectKey(env: PlatformEnvironment, layer: string): string {
  return `${env.state.keyPrefix}/${env.name}/${layer}.tfstate`;
}

/** Context key under which a stack declares its IAM convention (libs/guardrails AWP-IAM-001/002 check it). */
export const IAM_CONTEXT_KEY = 'awp:iam';

/** The IAM convention of a stack: the path of its roles and policies and (optionally) the boundary its roles carry. */
export interface IamConvention {
  readonly path: string;
  readonly permissionsBoundary?: string;
}

/**
 * Puts every IAM role and customer-managed policy under `scope` on the convention's path, and gives every role the
 * convention's permissions boundary, unless the construct set its own (the guardrails then report the difference).
 */
export function applyIamConvention(scope: IConstruct, convention: IamConvention): void {
  for (const c of scope.node.findAll()) {
    if (c instanceof IamRole) {
      if (c.pathInput === undefined) c.path = convention.path;
      if (convention.permissionsBoundary && c.permissionsBoundaryInput === undefined) c.permissionsBoundary = convention.permissionsBoundary;
    } else if (c instanceof IamPolicy && c.pathInput === undefined) {
      c.path = convention.path;
    }
  }
}

/**
 * The oldest Terraform / OpenTofu the stacks are written for: the S3 backend's native lock file (`use_lockfile`,
 * 1.10), ephemeral resources (1.10) and write-only arguments (`*_wo`, Terraform 1.11 / OpenTofu 1.11) — the only way
 * the guardrails let a secret into a resource (AWP-DATA-005). Every stack declares it as `terraform.required_version`,
 * so an older CLI stops with a clear version error instead of a confusing one.
 */
export const MIN_TERRAFORM_VERSION = '1.11';
export const TERRAFORM_REQUIRED_VERSION = `>= ${MIN_TERRAFORM_VERSION}`;

/** Declares `terraform.required_version` (cdktf has no setting for it, so an override writes it). */
export function requireTerraformVersion(stack: TerraformStack): void {
  stack.addOverride('terraform.required_version', TERRAFORM_REQUIRED_VERSION);
}

export interface PlatformStackProps {
  readonly env: PlatformEnvironment;
  /** Layer name: the stack is `<env>-<layer>`. */
  readonly layer: string;
}

/**
 * A Terraform stack with the platform's conventions (docs/architecture.md → Stacks):
 * - S3 backend, one state object per stack, encrypted, with Terraform's native lock file (`use_lockfile`,
 *   set by override because cdktf 0.21's S3Backend lacks the option) instead of a DynamoDB table;
 * - `terraform.required_version` (>= 1.11: native S3 lock file, ephemeral resources, write-only arguments);
 * - the AWS provider pinned (by the prebuilt provider package) with `allowed_account_ids`, so a prod file
 *   can never be applied to another account, and default tags on every resource;
 * - every IAM role and policy under the platform's IAM path, every role inside the workload permissions boundary
 *   (`platformIam`): the only roles the apply role may create (docs/delivery.md → Threat model).
 */
export class PlatformStack extends TerraformStack {
  readonly env: PlatformEnvironment;
  readonly layer: string;
  /** The provider for the environment's region. */
  readonly aws: AwsProvider;
  /** The IAM path and boundary of this stack's roles and policies. */
  readonly iam: IamConvention;
  private usEast1?: AwsProvider;

  constructor(scope: Construct, props: PlatformStackProps) {
    super(scope, stackName(props.env, props.layer));
    this.env = props.env;
    this.layer = props.layer;
    const { env } = props;
    // Guardrails read the tier from context (libs/guardrails TIER_CONTEXT_KEY) to apply prod-only rules.
    this.node.setContext('awp:tier', env.tier);
    const iam = platformIam(env);
    this.iam = { path: iam.path, permissionsBoundary: iam.permissionsBoundary };
    this.node.setContext(IAM_CONTEXT_KEY, this.iam);
    new S3Backend(this, {
      bucket: env.state.bucket,
      key: stateObjectKey(env, props.layer),
      region: env.state.region ?? env.region,
      // No `encrypt`: with it and no kms_key_id the backend sends `x-amz-server-side-encryption: AES256`, which
      // overrides the state bucket's default SSE-KMS with the state key (the key's ARN is random, unknown here). The
      // bucket encrypts every object with that key, and its policy refuses any other explicit encryption header.
    });
    this.addOverride('terraform.backend.s3.use_lockfile', true);
    requireTerraformVersion(this);
    this.aws = new AwsProvider(this, 'aws', {
      region: env.region,
      allowedAccountIds: [env.account.id],
      defaultTags: [{ tags: defaultTags(env, props.layer) }],
    });
  }

  /**
   * Applied here rather than by an Aspect: every path to the JSON (synth, Testing.synth, the guardrails' checkStack)
   * calls toTerraform, while aspects run after the guardrails have looked at the stack.
   */
  override toTerraform(): any { // eslint-disable-line @typescript-eslint/no-explicit-any -- cdktf's own signature
    applyIamConvention(this, this.iam);
    return super.toTerraform();
  }

  /** An aliased provider in us-east-1 (CloudFront certificates and CLOUDFRONT-scoped WAF live there). */
  get awsUsEast1(): AwsProvider {
    this.usEast1 ??= new AwsProvider(this, 'aws-us-east-1', {
      alias: 'us_east_1',
      region: 'us-east-1',
      allowedAccountIds: [this.env.account.id],
      defaultTags: [{ tags: defaultTags(this.env, this.layer) }],
    });
    return this.usEast1;
  }
}
