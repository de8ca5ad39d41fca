// node --test .github/scripts/ — deployed.cjs and review.cjs fetch against the fake GitHub REST API the actions'
// tests use (apps/actions/shared/testing/fake-github.ts, loaded through tsx): provenance of deployments,
// pagination of deployments and of the compare API, and which runs' artifacts count as review evidence.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '../..');
process.env.TSX_TSCONFIG_PATH = process.env.TSX_TSCONFIG_PATH || path.join(root, 'tsconfig.base.json');
require('tsx/cjs');
const { FakeGitHub, OWNER, REPO } = require('../../apps/actions/shared/testing/fake-github.ts');

const SHA = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);

/** Runs a script of .github/scripts against the fake (asynchronously: the fake answers from this process). */
function script(gh, file, args) {
  const child = spawn(process.execPath, [path.join(__dirname, file), ...args], {
    cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'gh-script-')),
    env: { PATH: process.env.PATH, GITHUB_API_URL: gh.url, GITHUB_REPOSITORY: `${OWNER}/${REPO}`, GH_TOKEN: 'ghs_job', NO_PROXY: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function withFake(fn) {
  const gh = new FakeGitHub();
  await gh.start();
  try {
    return await fn(gh);
  } finally {
    await gh.stop();
  }
}

test('deployed.cjs: a bot deployment from a pull_request run, another workflow or a branch is not what an environment runs', () =>
  withFake(async (gh) => {
    gh.addDeployment('prod', OTHER, ['success']); // the real one, older
    gh.addDeployment('prod', SHA, ['success'], undefined, { run: gh.addRun({ name: 'pr', event: 'pull_request', head_branch: 'evil', head_sha: SHA, conclusion: 'success' }) });
    gh.addDeployment('prod', SHA, ['success'], undefined, { run: gh.addRun({ name: 'evil', event: 'push', head_sha: SHA, conclusion: 'success' }) });
    gh.addDeployment('prod', SHA, ['success'], undefined, { run: gh.addRun({ name: 'deploy', event: 'push', head_branch: 'evil', head_sha: SHA, conclusion: 'success' }) });
    gh.addDeployment('prod', SHA, ['success'], undefined, { run: null });
    const r = await script(gh, 'deployed.cjs', ['prod']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), OTHER, 'the forged newer "success" deployments do not count');
    assert.ok(gh.requests.some((q) => /^\/repos\/acme\/platform\/actions\/runs\/\d+$/.test(q.path)), 'the runs are looked up');
  }));

test('deployed.cjs: finds the deployed commit behind more than 30 newer deployments (two per deploy, failures), page after page', () =>
  withFake(async (gh) => {
    gh.addDeployment('staging', OTHER, ['success']);
    for (let i = 0; i < 130; i++) gh.addDeployment('staging', SHA, [i % 2 ? 'failure' : 'success'], undefined, i % 2 ? {} : { run: null });
    const r = await script(gh, 'deployed.cjs', ['staging']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), OTHER);
    const pages = gh.requests.filter((q) => q.path === '/repos/acme/platform/deployments').map((q) => `${q.query.page}:${q.query.per_page}`);
    assert.deepEqual(pages, ['1:100', '2:100']);
  }));

test('deployed.cjs: prints nothing before the first deployment; a failing API fails the script', () =>
  withFake(async (gh) => {
    const none = await script(gh, 'deployed.cjs', ['dev']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, '');
    const bad = await script({ url: 'http://127.0.0.1:9' }, 'deployed.cjs', ['dev']);
    assert.notEqual(bad.code, 0);
  }));

/** A merge-queue run of pr.yml with review evidence for `sha`. */
const evidence = (sha) => ({ reviewed: { [`review-dev.json`]: JSON.stringify({ version: 1, env: 'dev', head: sha, stacks: {} }) } });

test('review.cjs fetch: every commit of a compare longer than a page (per_page 100), each from pr.yml\'s merge-queue run', () =>
  withFake(async (gh) => {
    const commits = Array.from({ length: 230 }, (_, i) => i.toString(16).padStart(40, '0'));
    gh.compare = (base, head) => (base === OTHER && head === commits.at(-1) ? { status: 'ahead', commits } : { status: 'diverged', commits: [] });
    for (const sha of commits) gh.addRun({ name: 'pr', event: 'merge_group', head_sha: sha, conclusion: 'success', artifacts: evidence(sha) });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-'));
    const r = await script(gh, 'review.cjs', ['fetch', '--to', commits.at(-1), '--from', OTHER, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /review evidence: 230 of 230 commit\(s\)\n/);
    assert.equal(fs.readdirSync(out).length, 230);
    const pages = gh.requests.filter((q) => q.path.includes('/compare/')).map((q) => `${q.query.page}:${q.query.per_page}`);
    assert.deepEqual(pages, ['1:100', '2:100', '3:100']);
  }));

test('review.cjs fetch: a `reviewed` artifact of another workflow\'s merge_group run is not evidence', () =>
  withFake(async (gh) => {
    // A decoy workflow (any branch may add one) runs on merge_group too and uploads an artifact named `reviewed`.
    gh.addRun({ name: 'decoy', event: 'merge_group', head_sha: SHA, conclusion: 'success', artifacts: evidence(SHA) });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-'));
    const r = await script(gh, 'review.cjs', ['fetch', '--to', SHA, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /review evidence: 0 of 1 commit\(s\); none for aaaaaaaaaaaa \(no successful merge-queue run of \.github\/workflows\/pr\.yml\)/);
    assert.deepEqual(fs.readdirSync(out), []);
    // pr.yml's own run counts, even when the decoy's is newer.
    gh.addRun({ name: 'pr', event: 'merge_group', head_sha: SHA, conclusion: 'success', artifacts: evidence(SHA) });
    gh.addRun({ name: 'decoy', event: 'merge_group', head_sha: SHA, conclusion: 'success', artifacts: evidence(SHA) });
    const ok = await script(gh, 'review.cjs', ['fetch', '--to', SHA, '--out', out]);
    assert.match(ok.stdout, /review evidence: 1 of 1 commit\(s\)\n/);
  }));

test('review.cjs fetch: a run `path` in the documented owner/repo/…@ref form names the same workflow file', () =>
  withFake(async (gh) => {
    gh.addRun({ name: 'pr', path: `${OWNER}/${REPO}/.github/workflows/pr.yml@refs/heads/gh-readonly-queue/main/pr-7-${SHA}`, event: 'merge_group', head_sha: SHA, conclusion: 'success', artifacts: evidence(SHA) });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-'));
    const r = await script(gh, 'review.cjs', ['fetch', '--to', SHA, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /review evidence: 1 of 1 commit\(s\)\n/);
    // …but another workflow in that form is still not pr.yml
    const decoy = await withFake(async (g2) => {
      g2.addRun({ name: 'decoy', path: `${OWNER}/${REPO}/.github/workflows/decoy.yml@main`, event: 'merge_group', head_sha: SHA, conclusion: 'success', artifacts: evidence(SHA) });
      const o2 = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-'));
      return script(g2, 'review.cjs', ['fetch', '--to', SHA, '--out', o2]);
    });
    assert.match(decoy.stdout, /review evidence: 0 of 1 commit\(s\)/);
  }));
