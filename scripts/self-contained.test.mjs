// node --test scripts/ — the self-contained check (scripts/self-contained.mjs) fails on every way a tracked file
// can reach outside the repository, and passes on the repository itself.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { baseDepth, findOutsideReferences } from './self-contained.mjs';

const SCRIPT = fileURLToPath(new URL('./self-contained.mjs', import.meta.url));
const up = (n) => '../'.repeat(n); // built at run time, so this file itself stays clean

test('a fixture path above the root fails, naming the file and line', () => {
  const text = `const a = 1;\nconst DIR = path.resolve(__dirname, '${up(4)}${['shared', 'fixtures', 'plans'].join('/')}');\n`;
  const found = findOutsideReferences('libs/delivery/test/plan-fixtures.test.ts', text);
  assert.ok(found.length >= 1);
  assert.equal(found[0].file, 'libs/delivery/test/plan-fixtures.test.ts');
  assert.equal(found[0].line, 2);
  assert.match(found[0].reason, /climbs 4 level\(s\) from a folder 3 deep/);
});

test('a sibling folder of the clone fails in a shell script and in a workflow (resolved from the root)', () => {
  assert.equal(findOutsideReferences('.ci/run', `cp -r ${up(3)}x .\n`).length, 1);
  assert.equal(baseDepth('.github/workflows/pr.yml'), 0);
  assert.equal(findOutsideReferences('.github/workflows/pr.yml', `      - run: ls ${up(1)}shared\n`).length, 1);
});

test("path.join(__dirname, '..', '..', …) climbing too far fails", () => { // self-contained: allow
  const dots = Array.from({ length: 3 }, () => "'..'").join(', ');
  assert.equal(findOutsideReferences('apps/infra/x.ts', `const p = path.join(__dirname, ${dots});\n`).length, 1);
  assert.equal(findOutsideReferences('apps/infra/test/x.ts', `const p = path.join(__dirname, ${dots});\n`).length, 0);
});

test('names that exist only on the build machines fail whatever the path form', () => {
  const design = ['DESIGN', 'md'].join('.');
  assert.match(findOutsideReferences('libs/x/src/a.ts', `// see ${design} → Stacks\n`)[0].reason, /docs\/architecture\.md/);
  assert.equal(findOutsideReferences('a.json', `{"dir": "/work/${'shared'}/fixtures/plans"}\n`).length, 1);
});

test('paths inside the repository, Markdown and allow-marked lines pass', () => {
  assert.deepEqual(findOutsideReferences('apps/actions/plan-report/src/main.ts', "import { run } from '../../shared/runtime';\n"), []); // self-contained: allow
  assert.deepEqual(findOutsideReferences('.ci/checks/20-checkov.sh', 'cd "$(dirname "$0")/../.."\n'), []);
  assert.deepEqual(findOutsideReferences('README.md', `see ${up(2)}x\n`), []);
  assert.deepEqual(findOutsideReferences('a/b.ts', `const x = '${up(3)}y'; // self-contained: allow\n`), []);
});

test('the CLI exits 1 on a repository with a reference to a sibling folder, 0 once it is removed', () => {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'self-contained-'));
  const git = (...args) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });
  git('init', '-q');
  mkdirSync(path.join(repo, 'scripts'));
  mkdirSync(path.join(repo, 'libs', 'a', 'test'), { recursive: true });
  // The CLI checks the repository it lives in: run a copy placed in the temporary repository.
  execFileSync('cp', [SCRIPT, path.join(repo, 'scripts', 'self-contained.mjs')]);
  writeFileSync(path.join(repo, 'libs', 'a', 'test', 'a.test.ts'), `const f = require('${up(4)}shared/x.json');\n`);
  git('add', '.');
  const bad = spawnSync(process.execPath, ['scripts/self-contained.mjs'], { cwd: repo, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /libs\/a\/test\/a\.test\.ts:1: climbs 4 level\(s\) from a folder 3 deep/);
  writeFileSync(path.join(repo, 'libs', 'a', 'test', 'a.test.ts'), "const f = require('../fixtures/x.json');\n");
  const good = spawnSync(process.execPath, ['scripts/self-contained.mjs'], { cwd: repo, encoding: 'utf8' });
  assert.equal(good.status, 0, good.stderr);
});

test('this repository is self-contained', () => {
  const root = path.resolve(path.dirname(SCRIPT), '..');
  const res = spawnSync(process.execPath, [SCRIPT], { cwd: root, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
});
