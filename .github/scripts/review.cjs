#!/usr/bin/env node
// Review evidence for the deploy (docs/delivery.md → Review evidence). Two commands:
//
//   review.cjs fetch --to <sha> [--from <sha>] --out <dir>
//     Downloads the `reviewed` artifact of the successful merge-queue run of .github/workflows/pr.yml (event
//     merge_group: GitHub alone creates those, for the commit that then lands on main) of every commit after
//     <from> (the environment's deployed commit) up to <to> (every page of the compare API), into
//     <dir>/<sha>-review-<env>.json. Any API failure fails; a commit without evidence is
//     listed (its changes then count as never reviewed). Needs GITHUB_API_URL, GITHUB_REPOSITORY, GH_TOKEN.
//
//   review.cjs check --stack <name> --plan <plan.json> --evidence <dir> [--ignore <rules.json>] [--break-glass <list>]
//     Prints {"ok","reason","breakGlass","unreviewed"} and exits 0 when every change of the plan was reviewed
//     (or the stack is named for break-glass), 3 when not.
//
// Runs the TypeScript sources of @awp/delivery through tsx (a devDependency), like plan-fingerprint.cjs.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument "${argv[i]}"`);
    out[argv[i].slice(2)] = argv[++i] ?? '';
  }
  return out;
}

/** The files of a zip archive (stored or deflated entries), as GitHub serves artifacts. */
function unzip(buf) {
  let end = buf.length - 22;
  while (end >= 0 && buf.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error('not a zip archive');
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const files = {};
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error('broken zip central directory');
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataAt, dataAt + size);
    if (method === 0) files[name] = raw;
    else if (method === 8) files[name] = zlib.inflateRawSync(raw);
    else throw new Error(`zip entry ${name}: unsupported method ${method}`);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return files;
}

async function api(route, { raw = false } = {}) {
  const base = process.env.GITHUB_API_URL || 'https://api.github.com';
  const token = process.env.GH_TOKEN || process.env.GITHUB_TOKEN;
  if (!token) throw new Error('GH_TOKEN is not set');
  const res = await fetch(`${base}${route}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }, redirect: 'follow' });
  if (!res.ok) throw new Error(`GitHub API ${route}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  return raw ? Buffer.from(await res.arrayBuffer()) : res.json();
}

/** The workflow whose merge-queue runs upload the review evidence. */
const REVIEW_WORKFLOW = '.github/workflows/pr.yml';

async function fetchEvidence(o) {
  const repo = process.env.GITHUB_REPOSITORY;
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo || '')) throw new Error('GITHUB_REPOSITORY must be owner/name');
  if (!/^[0-9a-f]{40}$/.test(o.to || '')) throw new Error('--to must be a 40-character commit SHA');
  if (o.from && !/^[0-9a-f]{40}$/.test(o.from)) throw new Error('--from must be a 40-character commit SHA');
  fs.mkdirSync(o.out, { recursive: true });
  let commits = [o.to];
  if (o.from && o.from !== o.to) {
    // The compare API pages its commits (per_page at most 100) and reports them all in total_commits:
    // https://docs.github.com/en/rest/commits/commits#compare-two-commits — read every page.
    const first = await api(`/repos/${repo}/compare/${o.from}...${o.to}?per_page=100&page=1`);
    // behind/diverged: the promotion gate refuses those; here only the target commit's own review counts.
    if (first.status === 'ahead') {
      commits = first.commits.map((x) => x.sha);
      for (let page = 2; commits.length < first.total_commits; page++) {
        const next = await api(`/repos/${repo}/compare/${o.from}...${o.to}?per_page=100&page=${page}`);
        if (!next.commits?.length) throw new Error(`compare ${o.from.slice(0, 12)}...${o.to.slice(0, 12)}: page ${page} is empty after ${commits.length} of ${first.total_commits} commits`);
        commits.push(...next.commits.map((x) => x.sha));
      }
    }
  }
  const missing = [];
  for (const sha of commits) {
    // Only pr.yml's merge-queue runs: any workflow (a pushed branch's too) can upload an artifact named
    // `reviewed`, and merge_group runs of other workflows review nothing. `path` is the run's workflow file.
    const runs = await api(`/repos/${repo}/actions/runs?event=merge_group&head_sha=${sha}&status=success&per_page=100`);
    const run = (runs.workflow_runs || []).find((r) => r.event === 'merge_group' && r.head_sha === sha && r.conclusion === 'success' && delivery().workflowFile(r.path) === REVIEW_WORKFLOW);
    if (!run) {
      missing.push(`${sha.slice(0, 12)} (no successful merge-queue run of ${REVIEW_WORKFLOW})`);
      continue;
    }
    const arts = await api(`/repos/${repo}/actions/runs/${run.id}/artifacts?name=reviewed`);
    const art = (arts.artifacts || []).find((a) => a.name === 'reviewed');
    if (!art || art.expired) {
      missing.push(`${sha.slice(0, 12)} (run ${run.id}: ${art ? 'artifact expired' : 'no reviewed artifact'})`);
      continue;
    }
    const files = unzip(await api(`/repos/${repo}/actions/artifacts/${art.id}/zip`, { raw: true }));
    for (const [name, data] of Object.entries(files)) {
      const base = path.basename(name);
      if (/^review-[A-Za-z0-9_.-]+\.json$/.test(base)) fs.writeFileSync(path.join(o.out, `${sha}-${base}`), data);
    }
  }
  const line = `review evidence: ${commits.length - missing.length} of ${commits.length} commit(s)${missing.length ? `; none for ${missing.join(', ')}` : ''}`;
  console.log(line);
  if (process.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${line}\n\n`);
}

/** @awp/delivery's TypeScript sources, through tsx. */
function delivery() {
  process.env.TSX_TSCONFIG_PATH = process.env.TSX_TSCONFIG_PATH || path.join(__dirname, '..', '..', 'tsconfig.base.json');
  require('tsx/cjs');
  return require('../../libs/delivery/src/index.ts');
}

function check(o) {
  const d = delivery();
  for (const k of ['stack', 'plan', 'evidence']) if (!o[k]) throw new Error(`--${k} is required`);
  const [plan] = d.readPlanFile(o.plan); // every encoding; an errored plan is refused (it cannot be applied)
  const ignore = o.ignore ? d.parseIgnoreRules(JSON.parse(fs.readFileSync(o.ignore, 'utf8')), o.ignore) : [];
  const evidence = fs.existsSync(o.evidence)
    ? fs.readdirSync(o.evidence).filter((f) => f.endsWith('.json')).map((f) => d.parseEvidence(JSON.parse(fs.readFileSync(path.join(o.evidence, f), 'utf8')), path.join(o.evidence, f)))
    : [];
  const breakGlass = String(o['break-glass'] || '').split(/[\s,]+/).filter(Boolean);
  const r = d.checkReviewed({ stack: o.stack, plan, evidence, ignore, breakGlass });
  process.stdout.write(`${JSON.stringify({ ok: r.ok, reason: r.reason, breakGlass: r.breakGlass, unreviewed: r.unreviewed.map((i) => i.address) })}\n`);
  return r.ok ? 0 : 3;
}

async function main() {
  const [cmd, ...rest] = process.argv.slice(2);
  const o = args(rest);
  if (cmd === 'fetch') return fetchEvidence(o);
  if (cmd === 'check') {
    process.exitCode = check(o);
    return;
  }
  throw new Error('usage: review.cjs fetch --to <sha> [--from <sha>] --out <dir> | check --stack S --plan F --evidence DIR [--ignore F] [--break-glass LIST]');
}

main().catch((err) => {
  console.error(`review.cjs: ${err.message}`);
  process.exitCode = 1;
});
