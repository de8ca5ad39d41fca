/**
 * Where the time goes: the top frames of a V8 CPU profile (`node --cpu-prof`, which `BENCH_CPU_PROF=<dir>
 * npm run bench:api` passes to the service), by self time as a share of busy time (idle left out), and the same
 * summed per package. `skipMs` leaves out the start of the profile (module loading, warm-up).
 *   npx tsx apps/api/bench/profile-top.ts <file.cpuprofile> [top=20] [skipMs=0]
 */
import fs from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export function topFrames(profile: Profile, top = 20, skipMs = 0) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>(); // node id → µs
  let t = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t < skipMs * 1000 || byId.get(id)!.callFrame.functionName === '(idle)') return;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const frames = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const file = f.url.replace(/^file:\/\//, '');
    const where = file ? `${file.replace(/^.*node_modules\//, '').replace(/^.*apps\/api\//, '')}:${f.lineNumber + 1}` : '';
    const name = `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    frames.set(name, (frames.get(name) ?? 0) + us);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? (file.includes('apps/api/') ? '(service code)' : file.startsWith('node:') ? '(node core)' : f.functionName.startsWith('(') ? f.functionName : '(node core / native)');
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => ({ frame: k, pct: Math.round((1000 * us) / total) / 10 }));
  return { totalMs: Math.round(total / 1000), frames: rank(frames), packages: rank(packages) };
}

if (require.main === module) {
  const [file, n, skip] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile-top.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const r = topFrames(JSON.parse(fs.readFileSync(file, 'utf8')) as Profile, Number(n ?? 20), Number(skip ?? 0));
  console.log(`${file}: ${r.totalMs} ms busy`);
  console.log('\nself time by frame:');
  for (const f of r.frames) console.log(`${String(f.pct).padStart(5)} %  ${f.frame}`);
  console.log('\nself time by package:');
  for (const p of r.packages) console.log(`${String(p.pct).padStart(5)} %  ${p.frame}`);
}
