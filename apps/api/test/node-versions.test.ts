import { execFileSync } from 'node:child_process';
import { API_ROOT, check, readSources, shipped, type Sources } from '../scripts/node-versions';

// The supported Node versions live in package.json "engines", the shipped one in the Dockerfile's NODE_IMAGE;
// the Dockerfile comment, the README and CI's setup script must agree with them.
describe('Node versions: one place each, and everything that states them agrees', () => {
  const real = readSources();

  test('the repository agrees with itself', () => {
    expect(check(real)).toEqual([]);
    expect(shipped(real)).toMatch(/^24\.\d+\.\d+$/); // the image ships Node 24 (LTS)
  });

  test('CI reads the shipped version from the Dockerfile (the CLI prints it)', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/node-versions.ts', 'shipped'], { cwd: API_ROOT, encoding: 'utf8' });
    expect(out.trim()).toBe(shipped(real));
  });

  const bump = (s: Sources, from: string, to: string, field: keyof Sources): Sources => ({ ...s, [field]: s[field].split(from).join(to) });

  test('a README that names another version is refused', () => {
    const s = bump(real, shipped(real), '24.11.1', 'readme');
    expect(check(s)).toEqual([expect.stringContaining('apps/api/README.md: must say "**Node**: this image ships')]);
  });

  test('an image pinned by tag only is refused', () => {
    const s = { ...real, dockerfile: real.dockerfile.replace(/@sha256:[0-9a-f]{64}/, '') };
    expect(check(s)).toEqual([expect.stringContaining('is pinned by tag only')]);
  });

  test('a remote ADD without --checksum is refused', () => {
    expect(real.dockerfile).toMatch(/ADD --checksum=sha256:[0-9a-f]{64}/);
    const s = { ...real, dockerfile: real.dockerfile.replace(/--checksum=sha256:[0-9a-f]{64} /, '') };
    expect(check(s)).toEqual([expect.stringContaining('has no --checksum=sha256:<digest>')]);
  });

  test('an image outside engines, or not the newest supported major, is refused', () => {
    const v = shipped(real);
    const s = bump(real, `node:${v}-`, 'node:22.12.0-', 'dockerfile');
    const problems = check(s);
    expect(problems).toContainEqual('apps/api/Dockerfile: Node 22.12.0 is not in engines.node "^20.19.0 || ^24.21.0"');
    expect(problems).toContainEqual(expect.stringContaining('must ship the newest supported major'));
  });

  test('engines that are not caret ranges, or missing, are refused', () => {
    const pkg = JSON.parse(real.packageJson);
    expect(check({ ...real, packageJson: JSON.stringify({ ...pkg, engines: { node: '>=20' } }) })).toContainEqual(expect.stringContaining('must be caret ranges'));
    expect(check({ ...real, packageJson: JSON.stringify({ ...pkg, engines: undefined }) })).toEqual(['apps/api/package.json: engines.node is missing']);
  });

  test('a CI setup script that repeats the version instead of reading it is refused', () => {
    const s = { ...real, ciSetup: `${real.ciSetup}\nversion=${shipped(real)}\n` };
    expect(check(s)).toEqual([expect.stringContaining('.ci/setup/10-node-shipped.sh: must read the version')]);
  });
});
