#!/usr/bin/env node
// Usage: deployed.cjs <env>  → prints the commit <env> runs: its newest deployment whose latest status by the
// workflows' own token (github-actions[bot]) is success (GitHub Deployments API). Prints nothing before the first.
// Pull-request plans and drift use it: plans are made with the image that is deployed (its tag = that commit),
// and drift is planned at that commit. Needs GITHUB_API_URL, GITHUB_REPOSITORY, GH_TOKEN; TRUSTED_CREATORS optional.
'use strict';
const path = require('node:path');
process.env.TSX_TSCONFIG_PATH = process.env.TSX_TSCONFIG_PATH || path.join(__dirname, '..', '..', 'tsconfig.base.json');
require('tsx/cjs');
const { currentDeployment, DEFAULT_TRUSTED_CREATORS } = require('../../libs/delivery/src/index.ts');

async function api(route) {
  const base = process.env.GITHUB_API_URL || 'https://api.github.com';
  const res = await fetch(`${base}${route}`, { headers: { authorization: `Bearer ${process.env.GH_TOKEN}`, accept: 'application/vnd.github+json' } });
  if (!res.ok) throw new Error(`GitHub API ${route}: ${res.status}`);
  return res.json();
}

async function main() {
  const env = process.argv[2];
  if (!/^[a-z0-9][a-z0-9-]*$/.test(env || '')) throw new Error('usage: deployed.cjs <env>');
  const repo = process.env.GITHUB_REPOSITORY;
  const trusted = (process.env.TRUSTED_CREATORS || '').split(',').filter(Boolean);
  const records = [];
  // Newest first, page after page: failed or untrusted deployments can outnumber one page.
  for (let page = 1; ; page++) {
    const list = await api(`/repos/${repo}/deployments?environment=${env}&per_page=100&page=${page}`);
    for (const d of list) {
      const statuses = await api(`/repos/${repo}/deployments/${d.id}/statuses?per_page=100`);
      records.push({ id: d.id, environment: d.environment, sha: d.sha, created_at: d.created_at, creator: d.creator?.login, statuses: statuses.map((s) => ({ state: s.state, created_at: s.created_at, creator: s.creator?.login })) });
      const now = currentDeployment(records, env, trusted.length ? trusted : DEFAULT_TRUSTED_CREATORS);
      if (now) return process.stdout.write(`${now.sha}\n`);
    }
    if (list.length < 100) return;
  }
}

main().catch((err) => {
  console.error(`deployed.cjs: ${err.message}`);
  process.exitCode = 1;
});
