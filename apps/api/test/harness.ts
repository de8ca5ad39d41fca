import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const API_ROOT = path.resolve(__dirname, '..');

/** Which backends the suite runs against: the real servers when their URLs are set (CI), else embedded defaults. */
export const REAL_DB = !!process.env.DATABASE_URL;
export const REAL_REDIS = !!process.env.REDIS_URL;
export const REAL_S3 = !!(process.env.S3_BUCKET && process.env.AWS_ENDPOINT_URL);
export const MODE = `db=${REAL_DB ? 'postgres' : 'pglite'} cache=${REAL_REDIS ? 'redis' : 'memory'} storage=${REAL_S3 ? 's3' : 'local'}`;

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

/** Kills servers a failed test left behind, so a failure never leaves jest waiting on a child. */
export function killAll() {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  live.clear();
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

export async function post(base: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${base}/v1/products`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
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
