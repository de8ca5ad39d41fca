import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cacheSettings } from '../../../libs/data/src/settings';
import { TestIssuer } from './issuer';

export const API_ROOT = path.resolve(__dirname, '..');

/** Which backends the suite runs against: the real servers when their URLs are set (CI), else embedded defaults. */
export const REAL_DB = !!process.env.DATABASE_URL;
export const REAL_REDIS = !!process.env.REDIS_URL;
export const REAL_S3 = !!(process.env.S3_BUCKET && process.env.AWS_ENDPOINT_URL);
export const MODE = `db=${REAL_DB ? 'postgres' : 'pglite'} cache=${REAL_REDIS ? 'redis' : 'memory'} storage=${REAL_S3 ? 's3' : 'local'}`;

/**
 * The distinct Redis access strings the environments give the service's cache user (environments/*.json
 * data.cache.accessString, else libs/data's default), as the data layer synthesizes them.
 */
export function environmentCacheAcls(): string[] {
  const dir = path.resolve(API_ROOT, '../../environments');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'environment.schema.json');
  if (files.length === 0) throw new Error(`${dir}: no environment files`);
  return [...new Set(files.map((f) => cacheSettings.parse(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).data?.cache ?? {}).accessString))];
}

/** A tag unique to this test run: SKUs and categories carry it, so reruns against a shared database never collide. */
export const RUN = crypto.randomBytes(4).toString('hex');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Server {
  url: string;
  port: number;
  proc: ChildProcess;
  logs: string[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const TSX = ['--import', 'tsx'];
const live = new Set<ChildProcess>();
let issuer: Promise<TestIssuer> | undefined;

/** This test file's token issuer (a real JWKS over HTTP); every server the harness starts trusts it. */
export function testIssuer(): Promise<TestIssuer> {
  return (issuer ??= TestIssuer.start());
}

/** `Authorization` for a write: a valid token with the write scope (subject client-a), or other claims. */
export async function auth(claims: Record<string, unknown> = {}): Promise<{ authorization: string }> {
  return { authorization: `Bearer ${(await testIssuer()).token(claims)}` };
}

/** Kills servers a failed test left behind, so a failure never leaves jest waiting on a child. */
export function killAll() {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  live.clear();
  void issuer?.then((i) => i.close());
  issuer = undefined;
}

function baseEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...extra };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

/** Runs `main.ts <args>` to completion (migrate / seed). */
export function runCommand(args: string[], extra: Record<string, string | undefined> = {}): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [...TSX, 'src/main.ts', ...args], { cwd: API_ROOT, env: baseEnv(extra), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A fresh embedded data dir (PGlite + uploads) for one server; unused in real mode. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'awp-api-test-'));
}

/** Starts the real server as a child process (real socket, real signals) and waits for its "listening" log line. */
export async function startServer(extra: Record<string, string | undefined> = {}, args: string[] = [], opts: { migrate?: boolean } = {}): Promise<Server> {
  const port = await freePort();
  if (REAL_DB && !extra.EMBEDDED_DATA_DIR && opts.migrate !== false) {
    const m = runCommand(['migrate'], extra);
    if (m.code !== 0) throw new Error(`migrate failed:\n${m.out}`);
  }
  const env = baseEnv({
    ...(await testIssuer()).env(),
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    EMBEDDED_DATA_DIR: REAL_DB ? undefined : tempDataDir(),
    ...extra,
  });
  const proc = spawn(process.execPath, [...TSX, 'src/main.ts', ...args], { cwd: API_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => {
    live.delete(proc);
    resolve(code);
  }));
  await new Promise<void>((resolve, reject) => {
    // PGlite boots in ~1-2 s on an idle machine; CI runs other projects' tests beside this one.
    const timer = setTimeout(() => reject(new Error(`server did not start in 90 s:\n${logs.join('\n')}`)), 90_000);
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        logs.push(line);
        if (line.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => logs.push(c.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${logs.join('\n')}`));
    });
  });
  // Settled: the event-loop guard (under-pressure) sheds requests while start-up's schema compilation still
  // weighs on its first sample, which on a loaded machine exceeds MAX_EVENT_LOOP_DELAY_MS.
  for (let i = 0; i < 150 && (await fetch(`http://127.0.0.1:${port}/openapi.json`).then(async (r) => (await r.arrayBuffer(), r.status), () => 0)) === 503; i++) await sleep(200);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    logs,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export function product(overrides: Record<string, unknown> = {}) {
  return {
    sku: `T-${RUN}-${crypto.randomBytes(5).toString('hex')}`,
    name: 'Test product',
    description: 'A product made by the test suite',
    priceCents: 1999,
    currency: 'EUR',
    category: `t-${RUN}`,
    ...overrides,
  };
}

export async function json(res: Response): Promise<any> {
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

/** POST /v1/products with a valid write token, unless `headers` says otherwise (`authorization: undefined`: none). */
export async function post(base: string, body: unknown, headers: Record<string, string | undefined> = {}) {
  const all: Record<string, string | undefined> = { 'content-type': 'application/json', ...('authorization' in headers ? {} : await auth()), ...headers };
  for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
  return fetch(`${base}/v1/products`, { method: 'POST', headers: all as Record<string, string>, body: JSON.stringify(body) });
}

/** Value of a Prometheus sample, e.g. metric(text, 'cache_requests_total{result="hit"}'). */
export function metric(text: string, sample: string): number {
  const line = text.split('\n').find((l) => l.startsWith(sample + ' '));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

export function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first log line of `srv` that `match` accepts, waiting for it: the service writes its logs in batches (LOG_FLUSH_MS). */
export async function logLine(srv: Pick<Server, 'logs'>, match: (line: string) => boolean, timeoutMs = 5000): Promise<string | undefined> {
  const t0 = Date.now();
  for (;;) {
    const line = srv.logs.find(match);
    if (line !== undefined || Date.now() - t0 > timeoutMs) return line;
    await new Promise((r) => setTimeout(r, 25));
  }
}
