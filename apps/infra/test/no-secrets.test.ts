import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { synthesize } from '../src/synth';
import { REPO } from './helpers';

/** Attribute names whose value is a credential when set. */
const SECRET_KEYS = new Set([
  'password', 'passwords', 'master_password', 'auth_token', 'secret_string', 'secret_binary', 'admin_password', 'root_password',
  'token', 'client_secret', 'private_key', 'secret_key', 'access_key', 'api_key', 'client_key',
]);
/** Credential shapes that must not appear anywhere, whatever the key. */
const SECRET_PATTERNS: [string, RegExp][] = [
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['PEM private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
];

const isLiteral = (v: unknown): boolean => (typeof v === 'string' ? v !== '' && !v.includes('${') : Array.isArray(v) ? v.some(isLiteral) : typeof v === 'number');

/** Every place in a Terraform JSON document where a credential value is written out. */
export function findSecretValues(doc: unknown, where = ''): string[] {
  const out: string[] = [];
  const walk = (value: unknown, at: string, key?: string) => {
    if (key && SECRET_KEYS.has(key) && isLiteral(value)) out.push(`${at}: literal value in "${key}"`);
    if (typeof value === 'string') {
      for (const [label, re] of SECRET_PATTERNS) if (re.test(value)) out.push(`${at}: ${label}`);
      return;
    }
    if (Array.isArray(value)) return value.forEach((v, i) => walk(v, `${at}[${i}]`));
    if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) if (k !== '//') walk(v, at ? `${at}.${k}` : k, k);
    }
  };
  walk(doc, where);
  return out;
}

function stackFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? stackFiles(full) : name === 'cdk.tf.json' ? [full] : [];
  });
}

describe('no synthesized stack contains a password or token value', () => {
  const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'awp-nosecrets-')), 'cdktf.out');
  const result = synthesize({ dir: path.join(REPO, 'environments'), outdir });
  const files = stackFiles(path.join(outdir, 'stacks'));

  it('scans every stack of every environment', () => {
    expect(files.length).toBe(result.stacks.length);
    expect(new Set(result.stacks.map((s) => s.env))).toEqual(new Set(['dev', 'staging', 'prod']));
    expect(result.stacks.map((s) => s.layer)).toEqual(expect.arrayContaining(['network', 'data']));
  });

  it('finds no literal credential in any cdk.tf.json', () => {
    const found = files.flatMap((f) => findSecretValues(JSON.parse(readFileSync(f, 'utf8')), path.relative(outdir, f)));
    expect(found).toEqual([]);
  });

  it('the scanner itself catches planted values (so a pass means something)', () => {
    const planted = {
      resource: {
        aws_db_instance: { db: { '//': { metadata: {} }, password: 'hunter2hunter2', manage_master_user_password: false } },
        aws_elasticache_replication_group: { c: { auth_token: 'tokentokentokentoken' } },
        aws_secretsmanager_secret_version: { v: { secret_string: '{"password":"x"}' }, ok: { secret_string: '${jsonencode({"host" = aws_db_instance.db.address})}' } },
        aws_elasticache_user: { u: { passwords: ['${var.a}', 'literal-password'] } },
      },
      provider: { aws: [{ access_key: 'AKIAABCDEFGHIJKLMNOP' }] },
      locals: { pem: '-----BEGIN RSA PRIVATE KEY-----\nabc' },
    };
    expect(findSecretValues(planted)).toEqual([
      'resource.aws_db_instance.db.password: literal value in "password"',
      'resource.aws_elasticache_replication_group.c.auth_token: literal value in "auth_token"',
      'resource.aws_secretsmanager_secret_version.v.secret_string: literal value in "secret_string"',
      'resource.aws_elasticache_user.u.passwords: literal value in "passwords"',
      'provider.aws[0].access_key: literal value in "access_key"',
      'provider.aws[0].access_key: AWS access key id',
      'locals.pem: PEM private key',
    ]);
  });
});
