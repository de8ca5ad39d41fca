import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { API_ROOT } from './harness';

/**
 * src/log-stream.ts: access lines wait in memory (up to 4 KiB or 100 ms), but flushLogs() — called for writes,
 * refusals and errors — sends them at once. A child logs one line, maybe calls flushLogs(), then blocks its event
 * loop for BLOCK_MS: no timer can fire meanwhile (so no periodic flush), while an asynchronous write already handed
 * to libuv's thread pool still happens. Whether the line reached stdout BEFORE the child's "unblocked" marker on
 * stderr tells the two cases apart, without timing anything but a wide margin; the child exits (flushing the rest)
 * only after the parent has read the marker.
 */
const BLOCK_MS = 3000;

function child(flush: boolean): Promise<{ beforeUnblock: string; all: string }> {
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'awp-log-')), 'child.ts');
  fs.writeFileSync(
    script,
    [
      `import fs from 'node:fs';`,
      `import { createLogger, flushLogs } from ${JSON.stringify(path.join(API_ROOT, 'src/log-stream.ts'))};`,
      `const log = createLogger('info');`,
      `log.info({ method: 'POST', statusCode: 201 }, 'request');`,
      flush ? 'flushLogs();' : '',
      `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${BLOCK_MS});`,
      `process.stderr.write('unblocked\\n');`,
      // exit only once the parent has read the marker, still blocked (no timer, so no periodic flush, can race it)
      `fs.readSync(0, Buffer.alloc(8));`,
      `process.exit(0);`,
    ].join('\n'),
  );
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script], { cwd: API_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let beforeUnblock: string | undefined;
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => {
      if (beforeUnblock === undefined && c.toString().includes('unblocked')) {
        beforeUnblock = out;
        p.stdin.write('go\n');
      }
    });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 && beforeUnblock !== undefined ? resolve({ beforeUnblock, all: out }) : reject(new Error(`child exited ${code}: ${out}`))));
  });
}

describe('log stream', () => {
  it('flushLogs() writes a buffered line at once, without waiting for the batch or its timer', async () => {
    const r = await child(true);
    expect(r.beforeUnblock).toMatch(/"msg":"request"/);
  });

  it('without it the line waits in memory (the batch), and still goes out on exit', async () => {
    const r = await child(false);
    expect(r.beforeUnblock).toBe('');
    expect(r.all).toMatch(/"level":30,.*"method":"POST","statusCode":201,"msg":"request"/);
  });
});
