// A fake GitHub REST API on 127.0.0.1 for the actions' tests: just the endpoints the actions call, with state
// (comments, labels, issues, deployments) kept in memory, and every request recorded for assertions.
// Also a runner that executes an action's bundled dist/index.js the way the GitHub runner does.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import zlib from 'node:zlib';
import path from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization?: string;
}

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  /** Login of the author (from the token that posted it). */
  user: string;
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  state_reason?: string;
  pull_request?: object;
  /** Login of who opened it. */
  user?: string;
}

export interface FakeDeployment {
  id: number;
  sha: string;
  environment: string;
  task: string;
  created_at: string;
  creator: string;
  description?: string;
  payload?: unknown;
  statuses: { id: number; state: string; created_at: string; description?: string; log_url?: string; creator: string }[];
}

export interface FakeRun {
  id: number;
  name: string;
  /** The workflow file, as GitHub reports it (a reusable workflow's runs report the CALLER's file). */
  path: string;
  head_branch: string | null;
  event: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  artifacts: { id: number; name: string; expired: boolean; files: Record<string, Buffer | string> }[];
}

export interface FakePull {
  number: number;
  head: { sha: string; repo: { full_name: string } };
  base: { sha: string; ref: string };
}

/** The workflows' token shows as this login on what it writes. */
export const BOT = 'github-actions[bot]';

export const OWNER = 'acme';
export const REPO = 'platform';

export class FakeGitHub {
  requests: RecordedRequest[] = [];
  comments: FakeComment[] = [];
  labels = new Map<number, string[]>();
  issues: FakeIssue[] = [];
  deployments: FakeDeployment[] = [];
  /** Tokens that may only read (like a fork's GITHUB_TOKEN): writes get 403. */
  readOnlyTokens = new Set<string>();
  /** Token → login of its owner; any other token is the workflows' own (github-actions[bot]). */
  logins = new Map<string, string>();
  runs: FakeRun[] = [];
  pulls: FakePull[] = [];
  /** GitHub's compare status of base...head (ahead, behind, identical, diverged) and the commits after base. */
  compare?: (base: string, head: string) => { status: string; commits: string[] };
  /** OIDC tokens handed out by the runner's token endpoint (/_runner/id-token). */
  oidcTokens = 0;
  private nextId = 1000;
  private server?: Server;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Requests other than GETs, as "METHOD /path": what the action changed. */
  writes(): string[] {
    return this.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
  }

  /**
   * A deployment with its statuses (newest first). By default it names (payload run_id) a deploy.yml push run on
   * main for `sha`, as the promotion gate records it; `run` names another run (e.g. a pull_request run), or null
   * for none.
   */
  addDeployment(environment: string, sha: string, states: string[], creator = BOT, opts: { run?: FakeRun | null; task?: string; payload?: unknown } = {}): FakeDeployment {
    const run = opts.run === undefined ? this.addRun({ name: 'deploy', path: '.github/workflows/deploy.yml', event: 'push', head_branch: 'main', head_sha: sha, conclusion: null }) : opts.run;
    const d: FakeDeployment = {
      id: this.nextId++,
      sha,
      environment,
      task: opts.task ?? 'deploy',
      payload: opts.payload ?? (run ? { run_id: run.id } : {}),
      creator,
      created_at: new Date(Date.now() - 60_000).toISOString(),
      // newest first, as the API lists statuses
      statuses: states.map((state, i) => ({ id: this.nextId++, state, creator, created_at: new Date(Date.now() - 1000 * (i + 1)).toISOString() })),
    };
    this.deployments.push(d);
    return d;
  }

  /** A finished workflow run with artifacts (file name → content), as `actions/upload-artifact` leaves it. */
  // path defaults to .github/workflows/<name>.yml, head_branch to main.
  addRun(run: Omit<FakeRun, 'id' | 'artifacts' | 'status' | 'path' | 'head_branch'> & { id?: number; path?: string; head_branch?: string | null; artifacts?: Record<string, Record<string, Buffer | string>>; expired?: boolean }): FakeRun {
    const r: FakeRun = {
      id: run.id ?? this.nextId++,
      name: run.name,
      path: run.path ?? `.github/workflows/${run.name}.yml`,
      head_branch: run.head_branch === undefined ? 'main' : run.head_branch,
      event: run.event,
      head_sha: run.head_sha,
      status: 'completed',
      conclusion: run.conclusion,
      artifacts: Object.entries(run.artifacts ?? {}).map(([name, files]) => ({ id: this.nextId++, name, expired: run.expired ?? false, files })),
    };
    this.runs.push(r);
    return r;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: decodeURIComponent(url.pathname), query: Object.fromEntries(url.searchParams), body, authorization: req.headers.authorization });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    const b = (body ?? {}) as Record<string, unknown>;
    const token = (req.headers.authorization ?? '').replace(/^(token|bearer) /i, '');
    const login = this.logins.get(token) ?? BOT;
    if (method !== 'GET' && this.readOnlyTokens.has(token)) return send(403, { message: 'Resource not accessible by integration' });
    // The runner's OIDC token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL): a fresh token per request, counted.
    if (url.pathname === '/_runner/id-token' && method === 'GET') return send(200, { value: `oidc-token-${++this.oidcTokens}-for-${url.searchParams.get('audience')}` });
    const prefix = `/repos/${OWNER}/${REPO}`;
    if (!url.pathname.startsWith(prefix)) return send(404, { message: 'Not Found' });
    const p = url.pathname.slice(prefix.length);
    let m: RegExpExecArray | null;

    if ((m = /^\/issues\/(\d+)\/comments$/.exec(p))) {
      const issue = Number(m[1]);
      if (method === 'GET') return send(200, this.comments.filter((c) => c.issue === issue).map((c) => ({ id: c.id, body: c.body, user: userOf(c.user) })));
      if (method === 'POST') {
        const c = { id: this.nextId++, issue, body: String(b.body), user: login };
        this.comments.push(c);
        return send(201, { id: c.id, body: c.body, user: userOf(c.user) });
      }
    }
    if ((m = /^\/issues\/comments\/(\d+)$/.exec(p)) && method === 'PATCH') {
      const c = this.comments.find((x) => x.id === Number(m?.[1]));
      if (!c) return send(404, { message: 'Not Found' });
      // GitHub: only the author (or a maintainer) edits a comment; the bot editing a person's comment is the bug.
      if (c.user !== login) return send(403, { message: `fake GitHub: ${login} edited a comment by ${c.user}` });
      c.body = String(b.body);
      return send(200, { id: c.id, body: c.body });
    }
    if ((m = /^\/issues\/(\d+)\/labels$/.exec(p)) && method === 'POST') {
      const n = Number(m[1]);
      const current = new Set([...(this.labels.get(n) ?? []), ...((b.labels as string[]) ?? [])]);
      this.labels.set(n, [...current]);
      return send(200, [...current].map((name) => ({ name })));
    }
    if ((m = /^\/issues\/(\d+)\/labels\/(.+)$/.exec(p)) && method === 'DELETE') {
      const n = Number(m[1]);
      const name = decodeURIComponent(m[2]);
      const current = this.labels.get(n) ?? [];
      if (!current.includes(name)) return send(404, { message: 'Label does not exist' });
      this.labels.set(n, current.filter((l) => l !== name));
      return send(200, []);
    }
    if (p === '/issues' && method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open';
      const label = url.searchParams.get('labels');
      const creator = url.searchParams.get('creator');
      return send(
        200,
        this.issues
          .filter((i) => (state === 'all' || i.state === state) && (!label || i.labels.includes(label)) && (!creator || (i.user ?? BOT) === creator))
          .map((i) => ({ ...i, user: userOf(i.user ?? BOT), labels: i.labels.map((name) => ({ name })) })),
      );
    }
    if (p === '/issues' && method === 'POST') {
      const issue: FakeIssue = { number: this.nextId++, title: String(b.title), body: String(b.body ?? ''), state: 'open', labels: (b.labels as string[]) ?? [], user: login };
      this.issues.push(issue);
      return send(201, { ...issue, labels: issue.labels.map((name) => ({ name })) });
    }
    if ((m = /^\/issues\/(\d+)$/.exec(p)) && method === 'PATCH') {
      const issue = this.issues.find((i) => i.number === Number(m?.[1]));
      if (!issue) return send(404, { message: 'Not Found' });
      if (typeof b.title === 'string') issue.title = b.title;
      if (typeof b.body === 'string') issue.body = b.body;
      if (b.state === 'open' || b.state === 'closed') issue.state = b.state;
      if (typeof b.state_reason === 'string') issue.state_reason = b.state_reason;
      if (Array.isArray(b.labels)) issue.labels = [...new Set([...issue.labels, ...(b.labels as string[])])];
      return send(200, { ...issue, labels: issue.labels.map((name) => ({ name })) });
    }
    if (p === '/deployments' && method === 'GET') {
      const sha = url.searchParams.get('sha');
      const env = url.searchParams.get('environment');
      const task = url.searchParams.get('task');
      const { perPage, page } = paging(url, 30);
      return send(
        200,
        this.deployments
          .filter((d) => (!sha || d.sha === sha) && (!env || d.environment === env) && (!task || d.task === task))
          .map(({ statuses: _s, creator, ...d }) => ({ ...d, creator: userOf(creator) }))
          .reverse()
          .slice((page - 1) * perPage, page * perPage),
      );
    }
    if (p === '/deployments' && method === 'POST') {
      const d: FakeDeployment = {
        id: this.nextId++,
        sha: String(b.ref),
        environment: String(b.environment),
        task: String(b.task ?? 'deploy'),
        created_at: new Date(Date.now() + this.nextId).toISOString(),
        creator: login,
        description: b.description as string | undefined,
        payload: b.payload,
        statuses: [],
      };
      this.deployments.push(d);
      // The run that holds the workflows' token: by default the fake plays a deploy.yml push run on main for the
      // ref (what runAction plays); a test playing another workflow adds that run (addRun with its id) first.
      const runId = (b.payload as { run_id?: unknown } | undefined)?.run_id;
      if (login === BOT && typeof runId === 'number' && !this.runs.some((r) => r.id === runId)) {
        this.addRun({ id: runId, name: 'deploy', event: 'push', head_sha: d.sha, conclusion: null });
      }
      const { statuses: _s, creator, ...out } = d;
      return send(201, { ...out, creator: userOf(creator) });
    }
    if ((m = /^\/deployments\/(\d+)\/statuses$/.exec(p))) {
      const d = this.deployments.find((x) => x.id === Number(m?.[1]));
      if (!d) return send(404, { message: 'Not Found' });
      if (method === 'GET') {
        const { perPage, page } = paging(url, 30);
        return send(200, d.statuses.slice((page - 1) * perPage, page * perPage).map((s) => ({ ...s, creator: userOf(s.creator) })));
      }
      if (method === 'POST') {
        const s = { id: this.nextId++, state: String(b.state), created_at: new Date(Date.now() + this.nextId).toISOString(), description: b.description as string | undefined, log_url: b.log_url as string | undefined, creator: login };
        // auto_inactive (default true): a new success marks the environment's older successful deployments inactive.
        if (s.state === 'success' && b.auto_inactive !== false) {
          for (const o of this.deployments.filter((x) => x.environment === d.environment && x.id !== d.id && x.statuses[0]?.state === 'success')) {
            o.statuses.unshift({ id: this.nextId++, state: 'inactive', created_at: s.created_at, creator: BOT });
          }
        }
        d.statuses.unshift(s);
        return send(201, { ...s, creator: userOf(s.creator) });
      }
    }
    if ((m = /^\/deployments\/(\d+)$/.exec(p)) && method === 'GET') {
      const d = this.deployments.find((x) => x.id === Number(m?.[1]));
      if (!d) return send(404, { message: 'Not Found' });
      const { statuses: _s, creator, ...out } = d;
      return send(200, { ...out, creator: userOf(creator) });
    }
    if ((m = /^\/pulls\/(\d+)$/.exec(p)) && method === 'GET') {
      const pr = this.pulls.find((x) => x.number === Number(m?.[1]));
      return pr ? send(200, pr) : send(404, { message: 'Not Found' });
    }
    if ((m = /^\/compare\/([0-9a-f]+)\.\.\.([0-9a-f]+)$/.exec(p)) && method === 'GET') {
      if (!this.compare) return send(404, { message: 'fake GitHub: no compare set' });
      const c = this.compare(m[1], m[2]);
      // GitHub pages the commits: 250 without per_page, else per_page (at most 100) from page; total_commits is all of them.
      const { perPage, page } = paging(url, 250);
      const commits = c.commits.slice((page - 1) * perPage, page * perPage).map((sha) => ({ sha }));
      return send(200, { status: c.status, ahead_by: c.commits.length, total_commits: c.commits.length, commits });
    }
    if (p === '/actions/runs' && method === 'GET') {
      const q = url.searchParams;
      const runs = this.runs
        .filter((r) => (!q.get('event') || r.event === q.get('event')) && (!q.get('head_sha') || r.head_sha === q.get('head_sha')) && (!q.get('status') || r.conclusion === q.get('status') || r.status === q.get('status')))
        .reverse()
        .map(({ artifacts: _a, ...r }) => r);
      return send(200, { total_count: runs.length, workflow_runs: runs });
    }
    if ((m = /^\/actions\/runs\/(\d+)$/.exec(p)) && method === 'GET') {
      const r = this.runs.find((x) => x.id === Number(m?.[1]));
      if (!r) return send(404, { message: 'Not Found' });
      const { artifacts: _a, ...out } = r;
      return send(200, out);
    }
    if ((m = /^\/actions\/runs\/(\d+)\/artifacts$/.exec(p)) && method === 'GET') {
      const r = this.runs.find((x) => x.id === Number(m?.[1]));
      if (!r) return send(404, { message: 'Not Found' });
      const name = url.searchParams.get('name');
      const list = r.artifacts.filter((a) => !name || a.name === name).map((a) => ({ id: a.id, name: a.name, expired: a.expired, archive_download_url: `${this.url}${prefix}/actions/artifacts/${a.id}/zip` }));
      return send(200, { total_count: list.length, artifacts: list });
    }
    if ((m = /^\/actions\/artifacts\/(\d+)\/zip$/.exec(p)) && method === 'GET') {
      const a = this.runs.flatMap((r) => r.artifacts).find((x) => x.id === Number(m?.[1]));
      if (!a) return send(404, { message: 'Not Found' });
      if (a.expired) return send(410, { message: 'Artifact has expired' });
      res.writeHead(200, { 'content-type': 'application/zip' });
      res.end(zip(a.files));
      return;
    }
    return send(404, { message: `fake GitHub: no route for ${method} ${url.pathname}` });
  }
}

/** per_page (GitHub caps it at 100; `perPageDefault` without it) and page (1-based) of a list request. */
function paging(url: URL, perPageDefault: number): { perPage: number; page: number } {
  const asked = url.searchParams.get('per_page');
  return { perPage: asked === null ? perPageDefault : Math.min(Number(asked), 100), page: Math.max(Number(url.searchParams.get('page') ?? 1), 1) };
}

function userOf(login: string): { login: string; type: string } {
  return { login, type: login.endsWith('[bot]') ? 'Bot' : 'User' };
}

/** A zip archive (stored, no compression) of `files`, as GitHub serves an artifact. */
export function zip(files: Record<string, Buffer | string>): Buffer {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const fname = Buffer.from(name);
    const crc = zlib.crc32(data);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(data.length, 18);
    head.writeUInt32LE(data.length, 22);
    head.writeUInt16LE(fname.length, 26);
    local.push(head, fname, data);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(fname.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, fname);
    offset += head.length + fname.length + data.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, cdBuf, end]);
}

/** Run ids runAction hands out: 4242, 4243, … */
let nextRunId = 4242;

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Parses the GITHUB_OUTPUT file (`name<<delimiter` blocks, or `name=value` lines). */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
    if (heredoc) {
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== heredoc[2]) value.push(lines[i++]);
      out[heredoc[1]] = value.join('\n');
    } else if (lines[i].includes('=')) {
      const [k, ...v] = lines[i].split('=');
      out[k] = v.join('=');
    }
  }
  return out;
}

/**
 * Runs `node dist/index.js` of an action in a child process with the environment the GitHub runner provides:
 * INPUT_* variables, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, the event payload, and GITHUB_API_URL pointing
 * at the fake API.
 */
export async function runAction(
  actionDir: string,
  opts: { api: string; inputs: Record<string, string>; event?: object; eventName?: string; sha?: string; cwd?: string; env?: Record<string, string> },
): Promise<ActionRun> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'action-run-'));
  const outputFile = path.join(tmp, 'output');
  const summaryFile = path.join(tmp, 'summary.md');
  const eventFile = path.join(tmp, 'event.json');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  writeFileSync(eventFile, JSON.stringify(opts.event ?? {}));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: tmp,
    NO_PROXY: '127.0.0.1,localhost',
    GITHUB_ACTIONS: 'true',
    GITHUB_API_URL: opts.api,
    GITHUB_SERVER_URL: 'https://github.example.test',
    GITHUB_GRAPHQL_URL: `${opts.api}/graphql`,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_EVENT_NAME: opts.eventName ?? 'pull_request',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_SHA: opts.sha ?? '0123456789abcdef0123456789abcdef01234567',
    GITHUB_RUN_ID: String(nextRunId++), // every run its own id (a deployment's provenance names it)
    GITHUB_RUN_NUMBER: '7',
    GITHUB_WORKFLOW: 'test',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: opts.cwd ?? process.cwd(),
    RUNNER_TEMP: tmp,
    GITHUB_ACTOR: 'octocat',
    ...opts.env,
  };
  // The runner's rule: INPUT_ + the name upper-cased with spaces as underscores (hyphens stay).
  for (const [k, v] of Object.entries(opts.inputs)) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
  const child = spawn(process.execPath, [path.join(actionDir, 'dist', 'index.js')], { cwd: opts.cwd ?? process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    return { code, stdout, stderr, outputs: parseOutputs(readFileSync(outputFile, 'utf8')), summary: readFileSync(summaryFile, 'utf8') };
  } finally {
    rmSync(tmp, { recursive: true, force: true }); // HOME and RUNNER_TEMP of the run: thousands of runs per suite
  }
}


/**
 * Inputs and outputs declared in action.yml next to those the entry point really reads and sets, so the
 * workflows (which only read action.yml) can trust it. A small line parser: keys indented two spaces under
 * the top-level `inputs:` / `outputs:`.
 */
export function actionInterface(actionDir: string): {
  runs: string;
  declaredInputs: string[];
  declaredOutputs: string[];
  usedInputs: string[];
  usedOutputs: string[];
} {
  const yml = readFileSync(path.join(actionDir, 'action.yml'), 'utf8').split('\n');
  const section = (name: string): string[] => {
    const start = yml.indexOf(`${name}:`);
    if (start < 0) return [];
    const keys: string[] = [];
    for (let i = start + 1; i < yml.length && !/^\S/.test(yml[i]); i++) {
      const m = /^ {2}([a-z0-9-]+):/.exec(yml[i]);
      if (m) keys.push(m[1]);
    }
    return keys;
  };
  const runsAt = yml.indexOf('runs:');
  const runs = yml.slice(runsAt + 1, runsAt + 3).map((l) => l.trim()).join('; ');
  const src = readFileSync(path.join(actionDir, 'src', 'main.ts'), 'utf8');
  const used = (re: RegExp) => [...new Set([...src.matchAll(re)].map((m) => m[1]))].sort();
  const usedInputs = used(/(?:getInput|listInput|booleanInput|getMultilineInput)\('([a-z0-9-]+)'/g);
  if (/\bclient\(\)/.test(src)) usedInputs.push('github-token');
  return {
    runs,
    declaredInputs: section('inputs').sort(),
    declaredOutputs: section('outputs').sort(),
    usedInputs: [...new Set(usedInputs)].sort(),
    usedOutputs: used(/setOutput\('([a-z0-9-]+)'/g),
  };
}

/**
 * Jest wiring every action test shares: one fake GitHub for the file (listening from beforeAll on), and forget its
 * recorded requests (plus whatever `reset` clears) before each test. The tests run the COMMITTED dist/index.js —
 * what GitHub runs — never a fresh build; .ci/checks/50-actions-dist.sh (also on every pull request) fails when
 * the committed bundle differs from its sources.
 */
export function useFakeGitHub(_action: string, reset: (gh: FakeGitHub) => void = () => undefined): FakeGitHub {
  const gh = new FakeGitHub();
  beforeAll(async () => {
    await gh.start();
  });
  afterAll(() => gh.stop());
  beforeEach(() => {
    gh.requests = [];
    reset(gh);
  });
  return gh;
}

/** The test every action has: action.yml declares exactly what the entry point uses, and runs the bundle on node24. */
export function describeActionYml(actionDir: string): void {
  describe('action.yml', () => {
    it('declares exactly the inputs and outputs the entry point uses, and runs dist/index.js on node24', () => {
      const io = actionInterface(actionDir);
      expect(io.runs).toBe('using: node24; main: dist/index.js');
      expect(io.declaredInputs).toEqual(io.usedInputs);
      expect(io.declaredOutputs).toEqual(io.usedOutputs);
    });
    it('has its bundle built for the runtime it declares (esbuild target = runs.using)', () => {
      const build = path.resolve(__dirname, '../build.mjs');
      const script = `import(${JSON.stringify(build)}).then((m) => process.stdout.write(m.targetFor(${JSON.stringify(path.basename(actionDir))})))`;
      expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })).toBe('node24');
    });
  });
}

/** A temporary folder of plan files: `{ 'prod-data.plan.json': sourcePath }`. */
export function planDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plans-'));
  for (const [name, src] of Object.entries(files)) copyFileSync(src, path.join(dir, name));
  return dir;
}
