// node --test .github/scripts/ — every URL the workflows call through CloudFront reaches the service (issue 12 item 5).
// The deploy's smoke test once called /readyz, which no cache behaviour routes to the service: the default
// behaviour sends it to the S3 assets origin (403), and /api/readyz is blocked by the viewer-request function.
// This test extracts EVERY path a workflow's curl/wget step calls, synthesizes the edge stack, and routes each path
// as CloudFront would: the first ordered cache behaviour whose path pattern matches (`*` any characters, `?` one,
// case-sensitive; else the default behaviour) → its origin must be a service origin (custom or VPC origin, not S3)
// → its viewer-request CloudFront Function (run here) must pass the request on → the rewritten path must be a GET
// route of apps/api. Path patterns and functions are read generically from the synthesized JSON, so the edge
// layer can change (VPC origins, new behaviours) without this test knowing its names.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const { execFileSync } = require('node:child_process');
const YAML = require('yaml');

const root = path.resolve(__dirname, '../..');
const wfDir = path.join(root, '.github/workflows');

/** Every path a workflow step calls with curl/wget on the environment's URL: [{file, step, path}]. */
function calledPaths() {
  const out = [];
  for (const f of fs.readdirSync(wfDir).filter((x) => /\.ya?ml$/.test(x))) {
    const wf = YAML.parse(fs.readFileSync(path.join(wfDir, f), 'utf8'));
    for (const job of Object.values(wf.jobs ?? {})) {
      for (const s of job.steps ?? []) {
        if (typeof s.run !== 'string' || !/\b(curl|wget)\b/.test(s.run)) continue;
        const where = `${f}: ${s.name ?? s.run.slice(0, 40)}`;
        const paths = new Set();
        // Paths listed in the step's env (e.g. SMOKE_PATHS: /healthz /api/…) or a literal for-loop list.
        for (const v of Object.values(s.env ?? {})) for (const t of String(v).split(/\s+/)) if (t.startsWith('/')) paths.add(t);
        for (const m of s.run.matchAll(/for \w+ in ([^;\n]+);/g)) for (const t of m[1].split(/\s+/)) if (t.startsWith('/')) paths.add(t);
        // Paths appended to the URL variable in the script: "$URL/healthz", "${URL}/api/…".
        for (const m of s.run.matchAll(/\$\{?URL\}?(\/[^\s"'`)]*)/g)) paths.add(m[1]);
        // Literal URLs: only the environment's own URL variable may be called (the distribution).
        const literal = [...s.run.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]);
        assert.deepEqual(literal, [], `${where}: calls a literal URL; call "$URL<path>" (the environment's distribution) so it is checked here`);
        assert.ok(paths.size > 0, `${where}: calls curl/wget but no path could be read (list the paths in the step's env)`);
        for (const p of paths) out.push({ where, path: p });
      }
    }
  }
  return out;
}

let edge;
/** The synthesized edge stack of dev (every environment shares the routing code). */
function edgeStack() {
  if (edge) return edge;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wf-urls-'));
  execFileSync(process.execPath, [path.join(root, 'apps/infra/bin/platform.js'), 'synth', '--env', 'dev', '--layer', 'edge', '--out', out], { cwd: root, stdio: 'pipe' });
  const dir = fs.readdirSync(path.join(out, 'stacks')).find((d) => /edge/.test(d));
  edge = JSON.parse(fs.readFileSync(path.join(out, 'stacks', dir, 'cdk.tf.json'), 'utf8'));
  fs.rmSync(out, { recursive: true, force: true });
  return edge;
}

/** CloudFront path-pattern matching (case-sensitive; `*` = any characters including `/`, `?` = exactly one). */
function patternMatches(pattern, p) {
  const pat = pattern.startsWith('/') ? pattern : `/${pattern}`;
  const re = new RegExp(`^${pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(p);
}

/** The GET routes apps/api registers (`app.get('/v1/products', …)`). */
function apiRoutes() {
  const routes = new Set();
  const dir = path.join(root, 'apps/api/src');
  // Every source file under src (routes live in src/routes/**, one Fastify plugin each; no route prefixes are used).
  const files = fs.readdirSync(dir, { recursive: true }).filter((x) => x.endsWith('.ts') && !x.endsWith('.test.ts'));
  for (const f of files) {
    for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/\.get(?:<[^(]*>)?\(\s*'([^']+)'/g)) routes.add(m[1]);
  }
  if (!routes.has('/healthz')) throw new Error(`no GET routes found under ${dir}: has the service's layout changed?`);
  return routes;
}

/** Routes one request as the distribution would; returns {ok, why}. */
function route(stack, url) {
  const [p, query = ''] = url.split('?');
  const dists = Object.values(stack.resource?.aws_cloudfront_distribution ?? {});
  if (dists.length !== 1) return { ok: false, why: `expected one distribution in the edge stack, found ${dists.length}` };
  const d = dists[0];
  const ordered = [].concat(d.ordered_cache_behavior ?? []);
  const behaviour = ordered.find((b) => patternMatches(b.path_pattern, p)) ?? d.default_cache_behavior;
  const label = behaviour.path_pattern ?? 'the default behaviour';
  const origin = [].concat(d.origin ?? []).find((o) => o.origin_id === behaviour.target_origin_id);
  if (!origin) return { ok: false, why: `${label} targets origin ${behaviour.target_origin_id}, which does not exist` };
  const service = Boolean(origin.custom_origin_config || origin.vpc_origin_config) && !origin.s3_origin_config;
  if (!service) return { ok: false, why: `${label} sends it to origin "${origin.origin_id}", an S3 bucket, not the service` };
  let uri = p;
  for (const fa of [].concat(behaviour.function_association ?? []).filter((x) => x.event_type === 'viewer-request')) {
    const id = /aws_cloudfront_function\.([^.]+)\.arn/.exec(fa.function_arn)?.[1];
    const fn = stack.resource?.aws_cloudfront_function?.[id];
    if (!fn) return { ok: false, why: `${label}: viewer-request function ${fa.function_arn} not in the stack` };
    const handler = vm.runInNewContext(`${fn.code}\n;handler`, {});
    const querystring = Object.fromEntries([...new URLSearchParams(query).entries()].map(([k, v]) => [k, { value: v }]));
    const res = handler({ version: '1.0', context: { eventType: 'viewer-request' }, viewer: { ip: '192.0.2.10' }, request: { method: 'GET', uri, querystring, headers: { host: { value: 'example.com' } }, cookies: {} } });
    if (res && res.statusCode) return { ok: false, why: `${label}: function ${fn.name} answers ${res.statusCode} itself` };
    uri = res.uri;
  }
  if (!apiRoutes().has(uri)) return { ok: false, why: `${label} → the service gets ${uri}, which is not a GET route of apps/api` };
  return { ok: true, why: `${label} → ${origin.origin_id} ${uri}` };
}

test('every path the workflows call through CloudFront reaches a route of the service', () => {
  const called = calledPaths();
  assert.ok(called.length >= 2, 'the deploy smoke test calls at least /healthz and one API route');
  const stack = edgeStack();
  for (const c of called) {
    const r = route(stack, c.path);
    assert.ok(r.ok, `${c.where}: ${c.path}: ${r.why}`);
  }
});

test('the router refuses what CloudFront would not deliver to the service (so the test above can fail)', () => {
  const stack = edgeStack();
  assert.match(route(stack, '/readyz').why, /S3 bucket/, 'the old smoke test path: default behaviour → assets bucket');
  assert.match(route(stack, '/api/readyz').why, /answers 4\d\d/, 'blocked at the edge');
  assert.match(route(stack, '/api/v1/nothing-here').why, /not a GET route/);
  assert.match(route(stack, '/assets/app.js').why, /S3 bucket/);
  assert.ok(route(stack, '/api/v1/products?limit=1').ok);
  assert.ok(route(stack, '/healthz').ok);
});

test('path patterns match as CloudFront documents (* any characters, ? one, case-sensitive)', () => {
  assert.ok(patternMatches('/api/*', '/api/v1/products'));
  assert.ok(patternMatches('api/*', '/api/x'));
  assert.ok(!patternMatches('/api/*', '/API/x'));
  assert.ok(patternMatches('/img?.png', '/img1.png'));
  assert.ok(!patternMatches('/img?.png', '/img10.png'));
  assert.ok(!patternMatches('/healthz', '/healthz/x'));
});
