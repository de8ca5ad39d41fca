import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { DataAwsSecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';

export interface OriginSecretProps {
  readonly namePrefix: string;
  /**
   * CMK for the secret.
   * @default the account's `aws/secretsmanager` key
   */
  readonly kmsKeyArn?: string;
  /** Bump to rotate: a new random value is written (write-only, so only a changed version writes). */
  readonly version: number;
  /** Also expose the previous value (AWSPREVIOUS), for the ALB to accept both during a rotation. */
  readonly includePrevious: boolean;
  readonly recoveryWindowDays: number;
}

/**
 * The shared secret CloudFront sends to the ALB in a custom header.
 *
 * No value is ever in code or in cdk.tf.json: an `ephemeral "aws_secretsmanager_random_password"` (written as a
 * raw stack override, since cdktf 0.21 has no ephemeral resources) generates it at apply time, and the secret
 * version takes it through the write-only `secret_string_wo`, so neither the generator nor the secret version
 * keeps it in state. CloudFront and the ALB rule need the value as a plain argument, so it is read back with a
 * `data aws_secretsmanager_secret_version` and therefore IS in the edge stack's state (in the data source, the
 * distribution's origin header and the listener rule) — protect the state bucket accordingly (it is encrypted,
 * and only the delivery roles read it). Needs Terraform/OpenTofu >= 1.11 (write-only arguments).
 */
export class OriginSecret extends Construct {
  readonly secretArn: string;
  /** The current value (a token resolving to the data source at apply time). */
  readonly currentValue: string;
  /** The previous value when `includePrevious` is set. */
  readonly previousValue?: string;

  constructor(scope: Construct, id: string, props: OriginSecretProps) {
    super(scope, id);
    const stack = TerraformStack.of(this);
    const generator = `${stack.getLogicalId(this.node)}_random`.replace(/[^A-Za-z0-9_-]/g, '_');
    // 64 letters and digits: no '*' or '?' (wildcards in ALB header conditions), fits the 128-character limit.
    stack.addOverride(`ephemeral.aws_secretsmanager_random_password.${generator}`, {
      password_length: 64,
      exclude_punctuation: true,
      include_space: false,
    });
    const secret = new SecretsmanagerSecret(this, 'secret', {
      name: `${props.namePrefix}/edge/origin-verify-header`,
      description: `${props.namePrefix}: value of the header CloudFront sends and the ALB requires`,
      kmsKeyId: props.kmsKeyArn,
      recoveryWindowInDays: props.recoveryWindowDays,
    });
    this.secretArn = secret.arn;
    const version = new SecretsmanagerSecretVersion(this, 'version', {
      secretId: secret.id,
      secretStringWo: `\${ephemeral.aws_secretsmanager_random_password.${generator}.random_password}`,
      secretStringWoVersion: props.version,
    });
    const current = new DataAwsSecretsmanagerSecretVersion(this, 'current', {
      secretId: secret.id,
      versionStage: 'AWSCURRENT',
      dependsOn: [version],
    });
    this.currentValue = current.secretString;
    if (props.includePrevious) {
      const previous = new DataAwsSecretsmanagerSecretVersion(this, 'previous', {
        secretId: secret.id,
        versionStage: 'AWSPREVIOUS',
        dependsOn: [version],
      });
      this.previousValue = previous.secretString;
    }
  }
}
