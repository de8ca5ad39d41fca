/**
 * `npm run bench:api` — prints numbers, asserts nothing (not a test).
 *
 * Everything runs on the Node that runs this script (`PATH=<node 24>/bin:$PATH npm run bench:api` for the shipped
 * one), each server in its own process, the load from separate processes:
 *   1. latency at a fixed rate, open loop: vegeta (Go, installed by bench/install-vegeta.sh from the Go module
 *      proxy) sends the 90 % get-by-id / 5 % list / 5 % create mix at 500 req/s for 30 s — first to the same-work
 *      floor (bench/bare-db.ts: the service's database and Redis work on node:http, nothing else; before the service
 *      starts, since a PGlite directory takes one process), then to a bare node:http server (bench/bare.ts), then,
 *      with its cache warmed, to the service. vegeta sends on schedule whatever the answers do, so queueing shows up
 *      in the latencies (no coordinated omission) — unlike autocannon's -R, which sends each second's quota in a burst.
 *   2. maximum throughput (autocannon, closed loop, in this process) of cached get-by-id beside a bare Fastify
 *      route (bench/hello.ts), alternating rounds, medians compared, each server's CPU per request beside its rate
 *      (from /proc, Linux); the 90/5/5 mix at maximum throughput.
 * in two modes: real PostgreSQL + Redis (10,000 seeded products), and embedded defaults (PGlite, in-process cache).
 *
 * Real servers: DATABASE_URL and REDIS_URL when set, else .ci/setup/20-services.sh starts them (needs root
 * or an installed PostgreSQL/Redis). A fresh database `api_bench` is created on that server for the run.
 * Knobs: BENCH_DURATION (s, phase 1, default 30), BENCH_MAX_DURATION (s per run, phase 2, default 5), BENCH_ROUNDS (3),
 * BENCH_RATE (default 500), BENCH_SEED (default 10000), BENCH_MAX_CONNECTIONS (default 32), BENCH_SKIP_REAL=1,
 * BENCH_SKIP_EMBEDDED=1, BENCH_CPU_PROF=<dir> (one more max get-by-id run per mode with the service under
 * `node --cpu-prof`; its top frames are printed, see bench/profile-top.ts).
 */
import { execSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { topFrames } from './profile-top';

const API_ROOT = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(API_ROOT, '../..');
const num = (name: string, def: number) => (process.env[name] ? Number(process.env[name]) : def);
const DURATION = num('BENCH_DURATION', 30);
const MAX_DURATION = num('BENCH_MAX_DURATION', 5);
const ROUNDS = num('BENCH_ROUNDS', 3);
const RATE = num('BENCH_RATE', 500);
const SEED = num('BENCH_SEED', 10_000);
const MAX_CONNECTIONS = num('BENCH_MAX_CONNECTIONS', 32);
const PROFILE_DIR = process.env.BENCH_CPU_PROF || undefined;
const CATEGORIES = ['books', 'games', 'music', 'garden', 'kitchen', 'toys', 'tools', 'sports', 'office', 'outdoor'];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

async function waitHttp(url: string, proc?: ChildProcess, stdout?: string, ms = 120_000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    // A service that exits (a configuration error) is reported at once, with what it printed.
    if (proc && proc.exitCode !== null) throw new Error(`${url}: the process exited with ${proc.exitCode}${stdout ? `:\n${fs.readFileSync(stdout, 'utf8').slice(-2000)}` : ''}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

async function start(script: string, env: NodeJS.ProcessEnv, healthPath: string, nodeFlags: string[] = []): Promise<{ url: string; proc: ChildProcess; stdout: string }> {
  const port = await freePort();
  // JSON access logs stay on (as in production), written to a temp file (read only for the dev write token).
  const stdout = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'awp-bench-out-')), 'stdout.log');
  const out = fs.openSync(stdout, 'w');
  const proc = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script], {
    cwd: API_ROOT,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', PUBLIC_BASE_URL: `http://127.0.0.1:${port}` },
    stdio: ['ignore', out, 'inherit'],
  });
  fs.closeSync(out);
  children.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(url + healthPath, proc, stdout);
  return { url, proc, stdout };
}

/** The write token the service's development issuer printed (AUTH_DEV_ISSUER / embedded mode): writes need one. */
function devToken(stdout: string): string {
  const token = /^ *export API_TOKEN=(\S+)$/m.exec(fs.readFileSync(stdout, 'utf8'))?.[1];
  if (!token) throw new Error(`the service printed no dev write token (${stdout})`);
  return token;
}

async function stop(proc: ChildProcess) {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

const CLK_TCK = (() => {
  try {
    return Number(execSync('getconf CLK_TCK', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, all threads) a process has used so far, in ms; undefined where there is no /proc. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) ": f[0] is field 3 (state)
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // fields 14 utime, 15 stime
  } catch {
    return undefined;
  }
}

/** An autocannon run against a server process, with the server's CPU microseconds per request beside it. */
async function runMeasured(pid: number | undefined, opts: autocannon.Options): Promise<{ r: autocannon.Result; cpuUs?: number }> {
  const before = cpuMs(pid);
  const r = await run(opts);
  const after = cpuMs(pid);
  return { r, cpuUs: before === undefined || after === undefined || !r.requests.total ? undefined : Math.round(((after - before) * 1000) / r.requests.total) };
}

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

interface Line {
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  requests: number;
  /** Open-loop runs: latency per request kind (ms). */
  kinds?: Record<string, { n: number; p50: number; p90: number; p99: number; max: number }>;
}

function summarize(scenario: string, r: autocannon.Result): Line {
  return {
    scenario,
    rps: Math.round(r.requests.total / r.duration),
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    errors: r.errors + r.timeouts + r.non2xx,
    requests: r.requests.total,
  };
}

function print(l: Line) {
  console.log(
    `${l.scenario.padEnd(48)} ${String(l.rps).padStart(7)} req/s  p50 ${String(l.p50).padStart(4)} ms  p99 ${String(l.p99).padStart(4)} ms  max ${String(l.max).padStart(5)} ms  errors ${l.errors}/${l.requests}`,
  );
}

async function productIds(base: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page = (await (await fetch(`${base}/v1/products?limit=100${cursor ? `&cursor=${cursor}` : ''}`)).json()) as {
      items: { id: string }[];
      nextCursor: string | null;
    };
    ids.push(...page.items.map((p) => p.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

async function warm(base: string, ids: string[]) {
  let i = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (i < ids.length) await (await fetch(`${base}/v1/products/${ids[i++]}`)).arrayBuffer();
    }),
  );
}

function pick<T>(xs: T[]): T {
  return xs[Math.floor(Math.random() * xs.length)]!;
}

/** 90 % get-by-id, 5 % list, 5 % create. */
function mixRequest(ids: string[], token: string): autocannon.Request {
  return {
    setupRequest: (req: autocannon.Request) => {
      const x = Math.random();
      if (x < 0.9) return { ...req, method: 'GET', path: `/v1/products/${pick(ids)}`, body: undefined, headers: {} };
      if (x < 0.95) return { ...req, method: 'GET', path: `/v1/products?category=${pick(CATEGORIES)}&limit=20`, body: undefined, headers: {} };
      const body = JSON.stringify({
        sku: `BENCH-${crypto.randomBytes(8).toString('hex')}`,
        name: 'Bench product',
        priceCents: 1234,
        currency: 'EUR',
        category: pick(CATEGORIES),
      });
      return { ...req, method: 'POST', path: '/v1/products', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } };
    },
  } as autocannon.Request;
}

/** A vegeta target (its JSON target format). */
interface Target {
  method: string;
  url: string;
  body?: string; // base64
  header?: Record<string, string[]>;
}

function mixTargets(base: string, ids: string[], n: number, token: string): Target[] {
  return Array.from({ length: n }, () => {
    const x = Math.random();
    if (x < 0.9) return { method: 'GET', url: `${base}/v1/products/${pick(ids)}` };
    if (x < 0.95) return { method: 'GET', url: `${base}/v1/products?category=${pick(CATEGORIES)}&limit=20` };
    const body = JSON.stringify({ sku: `BENCH-${crypto.randomBytes(8).toString('hex')}`, name: 'Bench product', priceCents: 1234, currency: 'EUR', category: pick(CATEGORIES) });
    return { method: 'POST', url: `${base}/v1/products`, body: Buffer.from(body).toString('base64'), header: { 'Content-Type': ['application/json'], Authorization: [`Bearer ${token}`] } };
  });
}

let vegetaBin: string | undefined;
function vegetaPath(): string {
  vegetaBin ??= execSync(path.join(__dirname, 'install-vegeta.sh'), { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim();
  return vegetaBin;
}

/** The request kind of a mix target, for the per-kind breakdown. */
function kindOf(method: string, url: string): string {
  if (method !== 'GET') return `${method} /v1/products`;
  const path = new URL(url).pathname;
  return path === '/v1/products' ? 'GET /v1/products (list)' : path.startsWith('/v1/products/') ? 'GET /v1/products/{id}' : `GET ${path}`;
}

/** p50/p99/max per request kind from vegeta's per-request results (`vegeta encode`): which kind makes the tail. */
function byKind(dir: string): Record<string, { n: number; p50: number; p90: number; p99: number; max: number }> {
  const enc = spawnSync(vegetaPath(), ['encode', '--to', 'json', `${dir}/results.bin`], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (enc.status !== 0) throw new Error(`vegeta encode failed: ${enc.stderr}`);
  const groups = new Map<string, number[]>();
  for (const line of enc.stdout.split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { method: string; url: string; latency: number };
    const k = kindOf(r.method, r.url);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r.latency / 1e6);
  }
  const q = (xs: number[], p: number) => Math.round(xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]! * 100) / 100;
  return Object.fromEntries([...groups].map(([k, xs]) => { xs.sort((a, b) => a - b); return [k, { n: xs.length, p50: q(xs, 0.5), p90: q(xs, 0.9), p99: q(xs, 0.99), max: q(xs, 1) }]; }));
}

/** Open-loop load: vegeta sends `targets` (round robin) at `rate` req/s for `seconds`; latencies in ms. */
function vegeta(targets: Target[], rate: number, seconds: number): Line {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'awp-vegeta-'));
  try {
    fs.writeFileSync(path.join(dir, 'targets.jsonl'), targets.map((t) => JSON.stringify(t)).join('\n') + '\n');
    const attack = spawnSync(vegetaPath(), ['attack', '-format=json', `-targets=${dir}/targets.jsonl`, `-rate=${rate}/1s`, `-duration=${seconds}s`, '-timeout=10s', `-output=${dir}/results.bin`], { encoding: 'utf8' });
    if (attack.status !== 0) throw new Error(`vegeta attack failed: ${attack.stderr}`);
    const report = spawnSync(vegetaPath(), ['report', '-type=json', `${dir}/results.bin`], { encoding: 'utf8' });
    if (report.status !== 0) throw new Error(`vegeta report failed: ${report.stderr}`);
    const r = JSON.parse(report.stdout) as { latencies: Record<string, number>; requests: number; rate: number; status_codes: Record<string, number> };
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const ok = Object.entries(r.status_codes).filter(([c]) => Number(c) >= 200 && Number(c) < 400).reduce((a, [, n]) => a + n, 0);
    return { scenario: '', rps: Math.round(r.rate), p50: ms(r.latencies['50th']!), p99: ms(r.latencies['99th']!), max: ms(r.latencies.max!), errors: r.requests - ok, requests: r.requests, kinds: byKind(dir) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function getById(ids: string[]): autocannon.Request {
  return { setupRequest: (req: autocannon.Request) => ({ ...req, method: 'GET', path: `/v1/products/${pick(ids)}` }) } as autocannon.Request;
}

async function benchmark(label: string, env: NodeJS.ProcessEnv, hello: { url: string; pid: number | undefined }, bareUrl: string): Promise<Line[]> {
  const lines: Line[] = [];
  console.log(`\n## ${label}`);
  const seed = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', 'seed', String(SEED)], {
    cwd: API_ROOT, env: { ...env, MIGRATE_ON_START: 'true' }, encoding: 'utf8',
  });
  if (seed.status !== 0) throw new Error(`seeding failed: ${seed.stdout}${seed.stderr}`);
  await vacuumAnalyze(env);
  const total = Math.round(RATE * DURATION);
  const kinds = (l: Line) => {
    for (const [k, v] of Object.entries(l.kinds ?? {})) console.log(`  ${k.padEnd(28)} n ${String(v.n).padStart(6)}  p50 ${v.p50} ms  p90 ${v.p90} ms  p99 ${v.p99} ms  max ${v.max} ms`);
  };
  // The same-work floor (bench/bare-db.ts: the service's statements and Redis write-through, nothing else) runs
  // before the service starts: an embedded PGlite directory takes one process at a time.
  const sameWork = await start('bench/bare-db.ts', env, '/ids');
  let work: Line;
  try {
    const ids = (await (await fetch(`${sameWork.url}/ids`)).json()) as string[];
    vegeta(mixTargets(sameWork.url, ids, RATE * 5, ''), RATE, 5); // warm-up (JIT, pool, prepared statements), not measured
    work = { ...vegeta(mixTargets(sameWork.url, ids, total, ''), RATE, DURATION), scenario: `${label}: same work, bare node:http + database, vegeta ${RATE} req/s, ${DURATION}s` };
  } finally {
    await stop(sameWork.proc); // deletes the rows it created
  }
  await vacuumAnalyze(env);
  const api = await start('src/main.ts', env, '/readyz');
  const token = devToken(api.stdout);
  try {
    const ids = await productIds(api.url);
    // The bare floor, then warm the cache (its L1 entries live 30 s: warmed before a 30 s run, they'd be gone), then
    // the service: same generator, rate, duration and Node, back to back.
    const floor = { ...vegeta(Array.from({ length: 64 }, () => ({ method: 'GET', url: bareUrl })), RATE, DURATION), scenario: `${label}: bare node:http, vegeta ${RATE} req/s, ${DURATION}s` };
    console.log(`${ids.length} products; warming the cache…`);
    await warm(api.url, ids);
    const steady = { ...vegeta(mixTargets(api.url, ids, total, token), RATE, DURATION), scenario: `${label}: service 90/5/5 mix, vegeta ${RATE} req/s, ${DURATION}s` };
    lines.push(floor, work, steady);
    print(floor);
    print(work);
    kinds(work);
    print(steady);
    kinds(steady);
    console.log(`  p99 service / bare node:http: ${(steady.p99 / floor.p99).toFixed(2)} (the goal: <= 2)`);
    // Indicative only: a mix's p99 is about the 90th percentile of its database requests; see kinds for each.
    console.log(`  (indicative) p99 same work / bare node:http: ${(work.p99 / floor.p99).toFixed(2)}; service / same work: ${(steady.p99 / work.p99).toFixed(2)}`);
    lines.push({ scenario: `${label}: ratio p99 service / bare node:http at ${RATE} req/s`, rps: Math.round((steady.p99 / floor.p99) * 100) / 100, p50: 0, p99: 0, max: 0, errors: 0, requests: 0 });
    lines.push({ scenario: `${label}: ratio p99 same work / bare node:http (indicative)`, rps: Math.round((work.p99 / floor.p99) * 100) / 100, p50: 0, p99: 0, max: 0, errors: 0, requests: 0 });
    lines.push({ scenario: `${label}: ratio p99 service / same work (indicative)`, rps: Math.round((steady.p99 / work.p99) * 100) / 100, p50: 0, p99: 0, max: 0, errors: 0, requests: 0 });

    // The bare route and get-by-id alternate over BENCH_ROUNDS rounds and the medians are compared: on a
    // shared 2-core machine that cancels most of the drift from other load.
    // Beside the rates: each server's CPU per request (its process, all threads, from /proc). The rates share two
    // cores with autocannon and drift with whatever else runs; CPU per request drifts less, and is what a
    // CPU-bound pod's capacity scales with.
    const helloRps: number[] = [];
    const apiRuns: Line[] = [];
    const helloCpu: number[] = [];
    const apiCpu: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const hr = await runMeasured(hello.pid, { url: hello.url, connections: MAX_CONNECTIONS, duration: MAX_DURATION });
      helloRps.push(summarize('hello', hr.r).rps);
      if (hr.cpuUs !== undefined) helloCpu.push(hr.cpuUs);
      const ar = await runMeasured(api.proc.pid, { url: api.url, connections: MAX_CONNECTIONS, duration: MAX_DURATION, requests: [getById(ids)] });
      apiRuns.push(summarize('api', ar.r));
      if (ar.cpuUs !== undefined) apiCpu.push(ar.cpuUs);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const apiMedian = [...apiRuns].sort((a, b) => a.rps - b.rps)[Math.floor(apiRuns.length / 2)]!;
    const h = { scenario: `${label}: bare Fastify hello-world, ${MAX_CONNECTIONS} conns (median of ${ROUNDS})`, rps: median(helloRps), p50: 0, p99: 0, max: 0, errors: 0, requests: 0 };
    const l = { ...apiMedian, scenario: `${label}: max cached get-by-id, ${MAX_CONNECTIONS} conns (median of ${ROUNDS})` };
    lines.push(h, l);
    console.log(`${h.scenario.padEnd(48)} ${String(h.rps).padStart(7)} req/s  (rounds: ${helloRps.join(', ')})`);
    print(l);
    console.log(`  get-by-id rounds: ${apiRuns.map((r) => r.rps).join(', ')} req/s`);
    const ratio = l.rps / h.rps;
    lines.push({ scenario: `${label}: ratio get-by-id / hello-world`, rps: Math.round(ratio * 100) / 100, p50: 0, p99: 0, max: 0, errors: 0, requests: 0 });
    console.log(`ratio get-by-id / bare hello-world: ${ratio.toFixed(2)}`);
    if (helloCpu.length === ROUNDS && apiCpu.length === ROUNDS) {
      const cpuRatio = median(helloCpu) / median(apiCpu);
      console.log(`  CPU per request (server process, median of ${ROUNDS}): hello-world ${median(helloCpu)} µs (rounds: ${helloCpu.join(', ')}), get-by-id ${median(apiCpu)} µs (rounds: ${apiCpu.join(', ')}); hello-world / get-by-id ${cpuRatio.toFixed(2)}`);
      lines.push({ scenario: `${label}: ratio CPU per request hello-world / get-by-id (${median(helloCpu)} / ${median(apiCpu)} µs)`, rps: Math.round(cpuRatio * 100) / 100, p50: 0, p99: 0, max: 0, errors: 0, requests: 0 });
    }

    const mixMax = await run({ url: api.url, connections: MAX_CONNECTIONS, duration: MAX_DURATION, requests: [mixRequest(ids, token)] });
    lines.push(summarize(`${label}: max 90/5/5 mix, ${MAX_CONNECTIONS} conns`, mixMax));
    print(lines[lines.length - 1]!);
  } finally {
    await stop(api.proc);
  }
  if (PROFILE_DIR) await profile(label, env);
  return lines;
}

/** One more max get-by-id run with the service under --cpu-prof, then its top frames. */
async function profile(label: string, env: NodeJS.ProcessEnv) {
  const dir = path.resolve(PROFILE_DIR!, label.replace(/[^a-z0-9]+/gi, '-'));
  fs.mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  const api = await start('src/main.ts', env, '/readyz', ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  let skipMs = 0;
  try {
    const ids = await productIds(api.url);
    await warm(api.url, ids);
    skipMs = Date.now() - t0; // start-up and warm-up are not what is measured
    await run({ url: api.url, connections: MAX_CONNECTIONS, duration: Math.max(10, MAX_DURATION), requests: [getById(ids)] });
  } finally {
    await stop(api.proc);
  }
  // One profile per thread (tsx's loader has its own): the main thread's is the big one.
  const file = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(a).size - fs.statSync(b).size).pop()!;
  const r = topFrames(JSON.parse(fs.readFileSync(file, 'utf8')), 15, skipMs);
  console.log(`\n### ${label}: CPU profile of max cached get-by-id (${file}, ${r.totalMs} ms busy), self time`);
  for (const f of r.frames) console.log(`${String(f.pct).padStart(5)} %  ${f.frame}`);
  console.log('by package:');
  for (const p of r.packages) console.log(`${String(p.pct).padStart(5)} %  ${p.frame}`);
}

/** DATABASE_URL/REDIS_URL from the environment, else start the servers with the CI script and read its exports. */
function realEnv(): NodeJS.ProcessEnv {
  let env: NodeJS.ProcessEnv = { ...process.env };
  if (!env.DATABASE_URL || !env.REDIS_URL) {
    console.log('DATABASE_URL/REDIS_URL unset: starting PostgreSQL and Redis with .ci/setup/20-services.sh');
    const out = execSync('bash -c "set -euo pipefail; source .ci/setup/20-services.sh >&2; env -0"', { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    env = Object.fromEntries(out.toString().split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  }
  return env;
}

/**
 * Real mode: the owner runs VACUUM ANALYZE — the app role that seeded may not, and autovacuum would only within its
 * naptime (1 min), possibly in the middle of a measured run (ANALYZE makes every connection replan its statements).
 */
async function vacuumAnalyze(env: NodeJS.ProcessEnv) {
  if (!env.DATABASE_URL || !env.DATABASE_OWNER_URL) return; // embedded: the PGlite worker analyzes at start
  const owner = new pg.Client({ connectionString: env.DATABASE_OWNER_URL });
  await owner.connect();
  await owner.query('vacuum analyze');
  await owner.end();
}

async function freshDatabase(url: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function main() {
  console.log(`# apps/api benchmark — ${new Date().toISOString()}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  vegetaPath(); // install before anything is measured
  const hello = await start('bench/hello.ts', { ...process.env }, '/hello');
  const helloServer = { url: `${hello.url}/hello`, pid: hello.proc.pid };
  const bare = await start('bench/bare.ts', { ...process.env }, '/');
  const bareUrl = `${bare.url}/`;
  const all: Line[] = [];
  if (!process.env.BENCH_SKIP_REAL) {
    const env = realEnv();
    // As in production: the owner (CREATEDB, like the RDS master user) creates the database and runs the migrations,
    // which grant the app role (DATABASE_URL's user, no special powers) what the service needs.
    const ownerUrl = await freshDatabase(env.DATABASE_OWNER_URL ?? env.DATABASE_URL!, 'api_bench');
    const app = new URL(env.DATABASE_URL!);
    app.pathname = '/api_bench';
    const dbUrl = app.toString();
    const realRun = { ...env, DATABASE_URL: dbUrl, DATABASE_READ_URL: dbUrl, DATABASE_OWNER_URL: ownerUrl, S3_BUCKET: '', LOG_LEVEL: 'info', AUTH_DEV_ISSUER: 'true' }; // writes need a token: the development issuer mints one
    all.push(...(await benchmark('postgres+redis', realRun, helloServer, bareUrl)));
  }
  if (!process.env.BENCH_SKIP_EMBEDDED) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'awp-api-bench-'));
    const embedded: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', EMBEDDED_DATA_DIR: dir };
    for (const k of ['DATABASE_URL', 'DATABASE_READ_URL', 'DATABASE_OWNER_URL', 'REDIS_URL', 'S3_BUCKET', 'AWS_ENDPOINT_URL']) delete embedded[k];
    all.push(...(await benchmark('embedded (PGlite+memory)', embedded, helloServer, bareUrl)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await stop(hello.proc);
  await stop(bare.proc);
  console.log('\n```json');
  console.log(JSON.stringify(all, null, 2));
  console.log('```');
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
