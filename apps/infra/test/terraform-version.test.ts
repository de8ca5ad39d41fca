import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MIN_TERRAFORM_VERSION, TERRAFORM_REQUIRED_VERSION } from '@awp/config';
import { REPO } from './helpers';

/** The Markdown files a reader looks for requirements in: the README, docs/ and every package README. */
function docs(): string[] {
  const readmes = ['apps', 'libs'].flatMap((dir) =>
    readdirSync(path.join(REPO, dir), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(dir, d.name, 'README.md'))
      .filter((f) => existsSync(path.join(REPO, f))),
  );
  const docsDir = readdirSync(path.join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f));
  return ['README.md', ...docsDir, ...readmes];
}

/**
 * "≥ 1.10", ">= 1.11", "1.11 or later": every minimum version a document states for Terraform or OpenTofu. A
 * possessive ("Terraform ≥ 1.10's deferred_changes") says when a feature arrived, not what the stacks need.
 */
function statedMinimums(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!/terraform|opentofu|\btofu\b|required_version/i.test(line)) continue;
    for (const m of line.matchAll(/(?:≥|>=)\s*\**\s*v?(1\.\d+)(?:\.\d+)?(?![\d.]|['’]s)/g)) out.push(m[1]);
    for (const m of line.matchAll(/\bv?(1\.\d+)(?:\.\d+)?\s+or (?:later|newer)/g)) out.push(m[1]);
  }
  return out;
}

const minor = (v: string) => Number(v.split('.')[1]);

describe('one minimum Terraform / OpenTofu version', () => {
  it('is >= 1.11: write-only arguments (1.11) and ephemeral resources (1.10)', () => {
    expect(MIN_TERRAFORM_VERSION).toBe('1.11');
    expect(TERRAFORM_REQUIRED_VERSION).toBe('>= 1.11');
  });

  it('is the only minimum the README, docs/ and the package READMEs state', () => {
    const found: string[] = [];
    for (const file of docs()) {
      for (const v of statedMinimums(readFileSync(path.join(REPO, file), 'utf8'))) found.push(`${file}: ${v}`);
    }
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((f) => !f.endsWith(`: ${MIN_TERRAFORM_VERSION}`))).toEqual([]);
  });

  it('finds a stale statement (the check can fail)', () => {
    expect(statedMinimums('Both need ≥ 1.10 for the S3 backend (Terraform)')).toEqual(['1.10']);
    expect(statedMinimums('OpenTofu 1.9 or later')).toEqual(['1.9']);
    expect(statedMinimums("deferred changes (Terraform ≥ 1.10's `deferred_changes`)")).toEqual([]);
    expect(statedMinimums('Terraform >= 1.9.8 is enough')).toEqual(['1.9']);
  });

  it('is met by the CLI versions the workflows install by default', () => {
    const dir = path.join(REPO, '.github', 'workflows');
    const defaults: string[] = [];
    for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
      for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/(?:TERRAFORM|OPENTOFU)_VERSION \|\| '~?(\d+\.\d+)(?:\.\d+)?'/g)) defaults.push(`${f}: ${m[1]}`);
    }
    expect(defaults.length).toBeGreaterThan(0);
    expect(defaults.filter((d) => minor(d.split(': ')[1]) < minor(MIN_TERRAFORM_VERSION))).toEqual([]);
  });
});
