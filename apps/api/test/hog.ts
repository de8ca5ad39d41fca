import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import os from 'node:os';

/**
 * A CPU hog on every core at the service's own priority, for the fault tests: API_CPU_HOG_CMD when set (CI sets
 * `stress-ng --cpu N --timeout …` from Debian's packages, .ci/setup/15-cpu-hog.sh), else one busy-loop Node
 * child per core. Either stops by itself after `maxSeconds`, so a crashed test run never leaves it spinning.
 */
export interface CpuHog {
  readonly how: string;
  /** True while every hog process is still spinning (a hog that died would make the "loaded" run a quiet one). */
  running(): boolean;
  /** Why a hog process ended early: its exit status and the end of what it wrote to stderr. */
  exits(): string[];
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

export function startCpuHog(maxSeconds = 600): CpuHog {
  const cores = os.availableParallelism();
  const cmd = process.env.API_CPU_HOG_CMD;
  // cwd: the temp dir, not the test's: stress-ng exits at once (status 1) when it cannot write to its working
  // directory (its default --temp-path), e.g. a checkout owned by another user.
  const opts: SpawnOptions = { stdio: ['ignore', 'ignore', 'pipe'], cwd: os.tmpdir() };
  const procs: ChildProcess[] = cmd
    ? [spawn('sh', ['-c', `exec ${cmd}`], { ...opts, detached: true })] // own process group: stress-ng forks workers
    : Array.from({ length: cores }, () =>
        spawn(process.execPath, ['-e', `const end = Date.now() + ${maxSeconds * 1000}; while (Date.now() < end) {}`], opts),
      );
  const exits: string[] = [];
  for (const p of procs) {
    live.add(p);
    let err = '';
    p.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-500)));
    p.once('exit', (code, signal) => live.has(p) && exits.push(`${cmd ?? 'busy loop'} ended early (${signal ?? `exit ${code}`}): ${err.trim() || 'nothing on stderr'}`));
  }
  const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;
  return {
    how: cmd ?? `${cores} busy-loop node processes`,
    running: () => procs.every(alive),
    exits: () => exits,
    async stop() {
      await Promise.all(
        procs.map(async (p) => {
          live.delete(p);
          if (!alive(p)) return;
          const exited = new Promise((r) => p.once('exit', r));
          if (cmd) process.kill(-p.pid!, 'SIGTERM');
          else p.kill('SIGKILL');
          await exited;
        }),
      );
    },
  };
}

/** For a global afterAll: whatever a failed test left spinning. */
export function killHogs() {
  for (const p of live) {
    try {
      if (p.pid) process.kill(-p.pid, 'SIGKILL');
    } catch {
      p.kill('SIGKILL');
    }
  }
  live.clear();
}
