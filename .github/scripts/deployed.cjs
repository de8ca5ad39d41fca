#!/usr/bin/env node
// Usage: deployed.cjs <env>  → prints the commit <env> runs: its newest deployment created by the
// workflows' own token (github-actions[bot]) whose latest status by that token is success AND whose payload names
// a run of .github/workflows/deploy.yml on main (push or workflow_dispatch) for the same commit — any workflow of
// the repository, a pushed branch's too, holds that token, so the creator alone proves nothing (@awp/delivery
// provenanceProblem). Reads every page it needs (GitHub Deployments API). Prints nothing before the first.
// Pull-request plans and drift use it: plans are made with the image that is deployed (its tag = that commit),
// and drift checks out and plans that commit. Needs GITHUB_API_URL, GITHUB_REPOSITORY, GH_TOKEN (deployments: read,
// actions: read); TRUSTED_CREATORS optional.
'use strict';
const path = require('node:path');
process.env.TSX_TSCONFIG_PATH = process.env.TSX_TSCONFIG_PATH || path.join(__dirname, '..', '..', 'tsconfig.base.json');
require('tsx/cjs');
const { findCurrentDeployment, DEFAULT_TRUSTED_CREATORS } = require('../../libs/delivery/src/index.ts');

async function api(route, { allow404 = false } = {}) {
  const base = process.env.GITHUB_API_URL || 'https://api.github.com';
  const res = await fetch(`${base}${route}`, { headers: { authorization: `Bearer ${process.env.GH_TOKEN}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' } });
  if (allow404 && res.status === 404) return undefined;
  if (!res.ok) throw new Error(`GitHub API ${route}: ${res.status}`);
  return res.json();
}

async function main() {
  const env = process.argv[2];
  if (!/^[a-z0-9][a-z0-9-]*$/.test(env || '')) throw new Error('usage: deployed.cjs <env>');
  const repo = process.env.GITHUB_REPOSITORY;
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo || '')) throw new Error('GITHUB_REPOSITORY must be owner/name');
  const trusted = (process.env.TRUSTED_CREATORS || '').split(',').filter(Boolean);
  const source = {
    deployments: (q) => api(`/repos/${repo}/deployments?${new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]))}`),
    statuses: async (id) => {
      const all = [];
      for (let page = 1; ; page++) {
        const list = await api(`/repos/${repo}/deployments/${id}/statuses?per_page=100&page=${page}`);
        all.push(...list);
        if (list.length < 100) return all;
      }
    },
    run: (id) => api(`/repos/${repo}/actions/runs/${id}`, { allow404: true }),
  };
  // Every task: only deploy.yml's own runs pass the provenance check, whatever task they recorded.
  const now = await findCurrentDeployment(source, env, undefined, trusted.length ? trusted : DEFAULT_TRUSTED_CREATORS);
  if (now) process.stdout.write(`${now.sha}\n`);
}

main().catch((err) => {
  console.error(`deployed.cjs: ${err.message}`);
  process.exitCode = 1;
});
