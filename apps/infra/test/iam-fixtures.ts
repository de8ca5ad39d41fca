import { Testing } from 'cdktf';
import type { EnvironmentConfig } from '../src/environment';
import { BootstrapStack, fromDocument, type DocumentStatement, type Statement } from '../src/bootstrap';

type Json = Record<string, any>;

/** Stand-ins for the values Terraform knows only at apply time, so that policies can be evaluated. */
export function tokens(env: EnvironmentConfig): Record<string, string> {
  const acct = env.account.id;
  return {
    '${aws_kms_key.state-key.arn}': `arn:aws:kms:${env.region}:${acct}:key/0000-state-key`,
    '${aws_iam_openid_connect_provider.github-oidc.arn}': `arn:aws:iam::${acct}:oidc-provider/token.actions.githubusercontent.com`,
    '${aws_s3_bucket.access-logs.arn}': `arn:aws:s3:::${env.name}-tfstate-access-logs-${acct}`,
    '${aws_s3_bucket.state.arn}': `arn:aws:s3:::${env.state.bucket}`,
  };
}

/** The bootstrap stack of an environment, its JSON, and its policy documents as evaluable statements. */
export function bootstrap(env: EnvironmentConfig, props: Partial<ConstructorParameters<typeof BootstrapStack>[1]> = {}) {
  const stack = new BootstrapStack(Testing.app(), { env, ...props });
  const json = JSON.parse(Testing.synth(stack)) as Json;
  const map = tokens(env);
  const resolve = (s: string) => Object.entries(map).reduce((acc, [k, v]) => acc.split(k).join(v), s);
  const statements = (name: string): Statement[] => fromDocument(json.data.aws_iam_policy_document[name].statement as DocumentStatement[], resolve);
  return { stack, json, statements, state: { key: map['${aws_kms_key.state-key.arn}'], bucket: `arn:aws:s3:::${env.state.bucket}` } };
}
