import { S3Backend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { EnvironmentConfig } from './schema';
import { defaultTags, stackName } from './naming';

/**
 * The oldest Terraform / OpenTofu that can plan and apply every stack: the edge layer writes its origin secret with a
 * write-only argument (`secret_string_wo`, Terraform 1.11 / OpenTofu 1.11) fed by an ephemeral resource (1.10).
 * Every stack declares it as `terraform.required_version`, so an older CLI stops with a clear version error.
 */
export const MIN_TERRAFORM_VERSION = '1.11';
export const TERRAFORM_REQUIRED_VERSION = `>= ${MIN_TERRAFORM_VERSION}`;

/** Declares `terraform.required_version` (cdktf has no setting for it, so an override writes it). */
export function requireTerraformVersion(stack: TerraformStack): void {
  stack.addOverride('terraform.required_version', TERRAFORM_REQUIRED_VERSION);
}

export interface PlatformStackProps {
  readonly env: EnvironmentConfig;
  /** Layer name: the stack is `<env>-<layer>`. */
  readonly layer: string;
}

/**
 * A Terraform stack with the platform's conventions (docs/architecture.md → Stacks):
 * - S3 backend, one state object per stack, encrypted, with Terraform's native lock file (`use_lockfile`,
 *   set by override because cdktf 0.21's S3Backend lacks the option) instead of a DynamoDB table;
 * - `terraform.required_version` (>= 1.11: write-only arguments and ephemeral resources);
 * - the AWS provider pinned (by the prebuilt provider package) with `allowed_account_ids`, so a prod file
 *   can never be applied to another account, and default tags on every resource.
 */
export class PlatformStack extends TerraformStack {
  readonly env: EnvironmentConfig;
  readonly layer: string;
  /** The provider for the environment's region. */
  readonly aws: AwsProvider;
  private usEast1?: AwsProvider;

  constructor(scope: Construct, props: PlatformStackProps) {
    super(scope, stackName(props.env, props.layer));
    this.env = props.env;
    this.layer = props.layer;
    const { env } = props;
    // Guardrails read the tier from context (libs/guardrails TIER_CONTEXT_KEY) to apply prod-only rules.
    this.node.setContext('awp:tier', env.tier);
    new S3Backend(this, {
      bucket: env.state.bucket,
      key: `${env.state.keyPrefix}/${env.name}/${props.layer}.tfstate`,
      region: env.state.region ?? env.region,
      encrypt: true,
    });
    this.addOverride('terraform.backend.s3.use_lockfile', true);
    requireTerraformVersion(this);
    this.aws = new AwsProvider(this, 'aws', {
      region: env.region,
      allowedAccountIds: [env.account.id],
      defaultTags: [{ tags: defaultTags(env, props.layer) }],
    });
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
