import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import crypto from 'node:crypto';
import { loadConfig } from '../src/config';
import { requireWriteAuth } from '../src/auth/config';
import { API_ROOT, REAL_DB, RUN, json, killAll, logLine, post, product, runCommand, sleep, startServer, testIssuer, type Server } from './harness';
import { WRITE_SCOPE, type TestIssuer } from './issuer';

// Who may write (issue 16): real tokens signed with a test key pair, whose JWKS is served over HTTP by the test
// issuer; the service runs as a child process and is only ever talked to over HTTP.
const COOLDOWN_MS = 4000;
const execFileP = promisify(execFile);
let srv: Server;
let issuer: TestIssuer;
/** Every token sent in this file: none of them may appear in the server's logs. */
const sent: string[] = [];

const bearer = (token: string) => {
  sent.push(token);
  return { authorization: `Bearer ${token}` };
};
const create = (headers: Record<string, string | undefined>, body = product({ category: `auth-${RUN}` })) => post(srv.url, body, headers);

beforeAll(async () => {
  issuer = await testIssuer();
  srv = await startServer({ AUTH_JWKS_COOLDOWN_MS: String(COOLDOWN_MS) });
}, 120_000);

afterAll(async () => {
  const code = await srv?.stop();
  killAll();
  expect(code).toBe(0);
});

function challenge(r: Response): string {
  return r.headers.get('www-authenticate') ?? '';
}

describe('reads are anonymous, writes need a token', () => {
  test('GET works without a token', async () => {
    expect((await fetch(`${srv.url}/v1/products?limit=1`)).status).toBe(200);
  });

  test.each([
    ['POST /v1/products', 'POST', '/v1/products', JSON.stringify(product())],
    ['PATCH /v1/products/{id}', 'PATCH', '/v1/products/00000000-0000-4000-8000-000000000001', '{"name":"x"}'],
    ['DELETE /v1/products/{id}', 'DELETE', '/v1/products/00000000-0000-4000-8000-000000000001', undefined],
    ['POST /v1/products/{id}/image', 'POST', '/v1/products/00000000-0000-4000-8000-000000000001/image', '{"contentType":"image/png","contentLength":10}'],
  ])('%s without a token: 401, a Bearer challenge and problem+json, before the body is looked at', async (_n, method, path, body) => {
    const r = await fetch(`${srv.url}${path}`, { method, headers: { 'content-type': 'application/json', 'if-match': '*' }, body });
    expect(r.status).toBe(401);
    expect(challenge(r)).toBe('Bearer realm="catalogue"'); // RFC 6750 §3.1: no error code without a token
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await json(r)).toMatchObject({ status: 401, title: 'Unauthorized', detail: `writes need a bearer token with the scope ${WRITE_SCOPE}` });
  });

  test('another scheme (Basic) is no token; a malformed Bearer header is an invalid token', async () => {
    const basic = await create({ authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` });
    expect(basic.status).toBe(401);
    expect(challenge(basic)).toBe('Bearer realm="catalogue"');
    const malformed = await create({ authorization: 'Bearer not a token' });
    expect(malformed.status).toBe(401);
    expect(challenge(malformed)).toContain('error="invalid_token"');
  });

  test('a valid token with the write scope creates', async () => {
    const r = await create(bearer(issuer.token()));
    expect(r.status).toBe(201);
  });
});

describe('each refusal: 401 invalid_token, nothing written', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const YEAR_2200 = Date.UTC(2200, 0, 1) / 1000;
  test.each<[string, () => string, string]>([
    ['expired (beyond the 30 s leeway)', () => issuer.token({ exp: now() - 120 }), 'the token has expired'],
    ['not yet valid (nbf beyond the leeway)', () => issuer.token({ nbf: now() + 120 }), 'the token is not yet valid'],
    ['wrong issuer', () => issuer.token({ iss: 'https://evil.example.com' }), 'the token was issued by another issuer'],
    ['wrong audience', () => issuer.token({ aud: 'another-api' }), 'the token is not meant for this service (audience)'],
    ['no exp (a token that never expires)', () => issuer.token({ exp: undefined }), 'the token lacks a valid exp claim'],
    ['no subject', () => issuer.token({ sub: undefined }), 'the token lacks a valid sub claim'],
    ['a Cognito ID token (token_use: id)', () => issuer.token({ token_use: 'id' }), 'the token is not an access token'],
    ['signed by another key under the published kid', () => issuer.token({}, { key: issuer.newKey(), header: { kid: issuer.defaultKey.kid } }), 'the token signature is invalid'],
    // Security review: exp in 2200 with iat a day ahead was accepted. RFC 8725 §3.10: bound the token's age by iat.
    ['issued longer ago than the maximum age plus the leeway (exp in 2200)', () => issuer.token({ iat: now() - 3600 - 120, exp: YEAR_2200 }), 'the token is older than this service accepts (iat)'],
    ['iat a day in the future (exp in 2200)', () => issuer.token({ iat: now() + 86_400, exp: YEAR_2200 }), 'the token was issued in the future'],
    ['iat beyond the leeway in the future', () => issuer.token({ iat: now() + 120 }), 'the token was issued in the future'],
    ['no iat (its age cannot be known)', () => issuer.token({ iat: undefined }), 'the token lacks a valid iat claim'],
    ['claims changed after signing', () => { const [h, , s] = issuer.token().split('.'); return `${h}.${Buffer.from(JSON.stringify(issuer.claims({ sub: 'admin' }))).toString('base64url')}.${s}`; }, 'the token signature is invalid'],
  ])('%s', async (_what, make, description) => {
    const category = `refused-${RUN}-${crypto.randomBytes(3).toString('hex')}`;
    const r = await create(bearer(make()), product({ category }));
    expect(r.status).toBe(401);
    expect(challenge(r)).toBe(`Bearer realm="catalogue", error="invalid_token", error_description="${description}"`);
    expect((await json(r)).detail).toBe(description);
    expect((await json(await fetch(`${srv.url}/v1/products?category=${category}`))).items).toEqual([]);
  });

  test.each([
    ['alg: none', () => issuer.unsigned()],
    ['HS256 signed with the public key (key confusion)', () => issuer.hmacWithPublicKey()],
  ])('%s: refused by the algorithm allow-list before any key lookup', async (_what, make) => {
    const before = issuer.jwksFetches;
    const r = await create(bearer(make()));
    expect(r.status).toBe(401);
    expect(challenge(r)).toContain('error_description="the token is signed with an algorithm this service does not accept"');
    expect(issuer.jwksFetches).toBe(before);
  });

  test('the leeway: a token expired 10 s ago is still accepted', async () => {
    expect((await create(bearer(issuer.token({ exp: now() - 10 })))).status).toBe(201);
  });

  test('the leeway on the age: iat 10 s ahead, or the maximum age plus 10 s ago, is still accepted', async () => {
    expect((await create(bearer(issuer.token({ iat: now() + 10 })))).status).toBe(201);
    expect((await create(bearer(issuer.token({ iat: now() - 3600 - 10 })))).status).toBe(201);
  });
});

describe('scopes', () => {
  test('a valid token without the write scope is 403 insufficient_scope', async () => {
    for (const scope of [undefined, 'catalogue:read', 'openid profile', 'catalogue:writer']) {
      const r = await create(bearer(issuer.token({ scope })));
      expect([scope, r.status]).toEqual([scope, 403]);
      expect(challenge(r)).toBe(`Bearer realm="catalogue", error="insufficient_scope", scope="${WRITE_SCOPE}"`);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  test('the scope among others, or in an `scp` list, is accepted', async () => {
    expect((await create(bearer(issuer.token({ scope: `openid ${WRITE_SCOPE} profile` })))).status).toBe(201);
    expect((await create(bearer(issuer.token({ scope: undefined, scp: ['x', WRITE_SCOPE] })))).status).toBe(201);
  });
});

describe('the issuer keys: cached, one rate-limited refetch for an unknown kid, rotation', () => {
  test('an unknown kid causes at most one JWKS fetch per cooldown; a rotated-in key is picked up after it', async () => {
    expect((await create(bearer(issuer.token()))).status).toBe(201); // keys cached
    await sleep(COOLDOWN_MS + 500);
    const next = issuer.newKey('ES256'); // not published yet
    const f0 = issuer.jwksFetches;
    // a burst of tokens with an unknown kid: one refetch between them all
    const burst = await Promise.all(Array.from({ length: 5 }, () => create(bearer(issuer.token({}, { key: next })))));
    expect(burst.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    expect(challenge(burst[0]!)).toContain("error_description=\"no key of the issuer matches the token's kid\"");
    expect(issuer.jwksFetches).toBe(f0 + 1);
    // within the cooldown: no further fetch, even once the key is published
    issuer.publish(next);
    expect((await create(bearer(issuer.token({}, { key: next })))).status).toBe(401);
    expect((await create(bearer(issuer.token({}, { key: issuer.newKey() })))).status).toBe(401);
    expect(issuer.jwksFetches).toBe(f0 + 1);
    // after it: the new key is fetched and accepted; the old key still works from the cache
    await sleep(COOLDOWN_MS + 500);
    expect((await create(bearer(issuer.token({}, { key: next })))).status).toBe(201);
    expect(issuer.jwksFetches).toBe(f0 + 2);
    expect((await create(bearer(issuer.token()))).status).toBe(201);
    expect(issuer.jwksFetches).toBe(f0 + 2);
  }, 60_000);

  test('an issuer outage: cached keys keep working; an unknown kid is 503 + Retry-After (one fetch per cooldown)', async () => {
    expect((await create(bearer(issuer.token()))).status).toBe(201); // keys cached
    await sleep(COOLDOWN_MS + 500);
    issuer.failJwks = true;
    try {
      expect((await create(bearer(issuer.token()))).status).toBe(201);
      const f0 = issuer.jwksFetches;
      for (let i = 0; i < 3; i++) {
        const r = await create(bearer(issuer.token({}, { key: issuer.newKey('ES256') })));
        expect(r.status).toBe(503);
        expect(r.headers.get('retry-after')).toBe('5');
        expect((await json(r)).detail).toBe("the issuer's signing keys could not be fetched");
      }
      expect(issuer.jwksFetches).toBe(f0 + 1);
    } finally {
      issuer.failJwks = false;
    }
  }, 30_000);
});

describe('idempotency keys belong to the token subject', () => {
  test("a token of another subject never replays (nor blocks) another subject's key", async () => {
    const key = `shared-${RUN}`;
    const bodyA = product();
    const bodyB = product();
    const a = bearer(issuer.token({ sub: 'client-a' }));
    const b = bearer(issuer.token({ sub: 'client-b' }));
    const first = await post(srv.url, bodyA, { 'idempotency-key': key, ...a });
    expect(first.status).toBe(201);
    const created = await json(first);
    // B replays A's exact request with A's key: not A's stored answer (the SKU is taken: 409)
    const replay = await post(srv.url, bodyA, { 'idempotency-key': key, ...b });
    expect(replay.status).toBe(409);
    expect(replay.headers.get('idempotent-replayed')).toBeNull();
    // B's own request under the same key: a new product, not 422 and not A's
    const own = await post(srv.url, bodyB, { 'idempotency-key': key, ...b });
    expect(own.status).toBe(201);
    expect(own.headers.get('idempotent-replayed')).toBeNull();
    const ownCreated = await json(own);
    expect(ownCreated.id).not.toBe(created.id);
    // each subject's retries replay its own answer
    const againA = await post(srv.url, bodyA, { 'idempotency-key': key, ...a });
    expect([againA.status, againA.headers.get('idempotent-replayed'), (await json(againA)).id]).toEqual([201, 'true', created.id]);
    const againB = await post(srv.url, bodyB, { 'idempotency-key': key, ...b });
    expect([againB.status, againB.headers.get('idempotent-replayed'), (await json(againB)).id]).toEqual([201, 'true', ownCreated.id]);
  });
});

describe('logs', () => {
  test('no token value ever appears in a log line (headers, query strings, refusals)', async () => {
    const t = issuer.token();
    sent.push(t);
    await fetch(`${srv.url}/v1/products?limit=1&access_token=${t}`);
    await logLine(srv, (l) => l.includes('access_token=[redacted]'));
    const logs = srv.logs.join('\n');
    expect(logs).toContain('access_token=[redacted]');
    expect(logs).toContain('"msg":"token refused"');
    expect(logs).toContain('"sub":"client-a"'); // who wrote is logged: the subject, not the token
    const leaked = sent.filter((tok) => tok.split('.').some((part) => part.length >= 16 && logs.includes(part)));
    expect(leaked).toEqual([]);
    expect(logs).not.toMatch(/Bearer ey/);
  });
});

describe('problem+json `instance`: the path, never the query', () => {
  // Security review: a 401/404 body echoed `?access_token=…` (RFC 6750 §2.3) in `instance`.
  test('401, 403, 404 (route and product), 400 and 428 answers carry the path only, and no token', async () => {
    const t = issuer.token();
    const q = `?access_token=${t}&x=1`;
    const id = crypto.randomUUID();
    const cases: [string, RequestInit, string, number][] = [
      [`/v1/products${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(product()) }, '/v1/products', 401],
      [`/v1/products${q}`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(issuer.token({ scope: 'catalogue:read' })) }, body: JSON.stringify(product()) }, '/v1/products', 403],
      [`/v1/products/${id}${q}`, { method: 'PATCH', headers: { 'content-type': 'application/json', authorization: 'Bearer not.a.jwt' }, body: '{"name":"x"}' }, `/v1/products/${id}`, 401],
      [`/v1/products/${id}${q}`, { method: 'DELETE', headers: bearer(issuer.token()) }, `/v1/products/${id}`, 428],
      [`/nowhere${q}`, {}, '/nowhere', 404],
      [`/v1/products/${id}${q}`, {}, `/v1/products/${id}`, 404],
      [`/v1/products${q}`, {}, '/v1/products', 400], // access_token is not a query parameter of the list
    ];
    for (const [url, init, path, status] of cases) {
      const r = await fetch(`${srv.url}${url}`, init);
      const text = await r.text();
      expect([url, r.status, r.headers.get('content-type')]).toEqual([url, status, 'application/problem+json; charset=utf-8']);
      expect((JSON.parse(text) as { instance: string }).instance).toBe(path);
      expect(text).not.toContain('?');
      expect(text).not.toContain(t.split('.')[1]);
    }
  });
});

describe('Amazon Cognito access tokens: audience in client_id, custom scope', () => {
  test('AUTH_AUDIENCE_CLAIM=client_id and AUTH_WRITE_SCOPE=catalogue/write', async () => {
    const s = await startServer({ ...issuer.env({ AUTH_AUDIENCE: 'app-client-1,app-client-2', AUTH_AUDIENCE_CLAIM: 'client_id', AUTH_WRITE_SCOPE: 'catalogue/write' }) });
    try {
      const cognito = (claims: Record<string, unknown>) => post(s.url, product(), bearer(issuer.token({ aud: undefined, token_use: 'access', scope: 'catalogue/write', client_id: 'app-client-2', ...claims })));
      expect((await cognito({})).status).toBe(201);
      expect((await cognito({ client_id: 'someone-else' })).status).toBe(401);
      expect((await cognito({ client_id: undefined, aud: 'app-client-2' })).status).toBe(401); // an ID token carries aud, not client_id
      expect((await cognito({ token_use: 'id' })).status).toBe(401);
      expect((await cognito({ scope: 'catalogue:write' })).status).toBe(403);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  }, 120_000);
});

describe('embedded mode: a local issuer in the process', () => {
  test('prints a ready-to-use write token and curl example, serves its JWKS, and still refuses writes without a token', async () => {
    // Embedded defaults turn it on by themselves; with a real database it must be asked for.
    const s = await startServer({ AUTH_ISSUER: undefined, AUTH_AUDIENCE: undefined, AUTH_DEV_ISSUER: REAL_DB ? 'true' : undefined });
    try {
      const out = s.logs.join('\n');
      const token = /export API_TOKEN=(\S+)/.exec(out)?.[1];
      expect(token).toBeDefined();
      expect((await post(s.url, product(), { authorization: undefined })).status).toBe(401);
      // the printed curl example, run as printed
      const example = out.slice(out.indexOf('  curl '), out.indexOf("}'", out.indexOf('  curl ')) + 2).replace('DEMO-1', `DEMO-${RUN}`);
      const curl = await new Promise<string>((resolve) => {
        const p = spawn('bash', ['-c', `export API_TOKEN=${token}; ${example.replace(/\\\n/g, ' ')}`]);
        let o = '';
        p.stdout.on('data', (c: Buffer) => (o += c.toString()));
        p.on('close', () => resolve(o));
      });
      expect(curl).toMatch(/^HTTP\/1\.1 201 /);
      // the JWKS on the dev path is real: the printed token's signature verifies against it
      const jwks = await json(await fetch(`${s.url}/dev/issuer/.well-known/jwks.json`));
      const [h, p, sig] = token!.split('.');
      const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
      const jwk = jwks.keys.find((k: { kid: string }) => k.kid === header.kid);
      const ok = crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key: crypto.createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig!, 'base64url'));
      expect(ok).toBe(true);
      expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toMatchObject({ iss: `${s.url}/dev/issuer`, scope: WRITE_SCOPE, sub: 'dev-user' });
      const doc = await json(await fetch(`${s.url}/openapi.json`));
      const discovery = await json(await fetch(doc.components.securitySchemes.oidc.openIdConnectUrl));
      expect(discovery.jwks_uri).toBe(`${s.url}/dev/issuer/.well-known/jwks.json`);
      // a token of the test issuer is not one of this issuer's
      expect((await post(s.url, product(), bearer(issuer.token()))).status).toBe(401);
    } finally {
      expect(await s.stop()).toBe(0);
    }
  }, 120_000);
});

describe('configuration', () => {
  const base = { AUTH_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc', AUTH_AUDIENCE: 'client' };
  test.each<[string, Record<string, string>, RegExp]>([
    ['an issuer without an audience', { AUTH_ISSUER: base.AUTH_ISSUER }, /AUTH_AUDIENCE is required/],
    ['a plain-http issuer off this machine', { ...base, AUTH_ISSUER: 'http://issuer.example.com' }, /AUTH_ISSUER must be an https URL/],
    ['a plain-http JWKS URL off this machine', { ...base, AUTH_JWKS_URL: 'http://keys.example.com/jwks.json' }, /AUTH_JWKS_URL must be an https URL/],
    ['HS256 in the allow-list', { ...base, AUTH_ALGORITHMS: 'RS256,HS256' }, /"HS256" is not allowed/],
    ['none in the allow-list', { ...base, AUTH_ALGORITHMS: 'none' }, /"none" is not allowed/],
    ['a scope with a space', { ...base, AUTH_WRITE_SCOPE: 'catalogue write' }, /AUTH_WRITE_SCOPE must be one OAuth scope/],
    ['a bad audience claim name', { ...base, AUTH_AUDIENCE_CLAIM: 'a b' }, /AUTH_AUDIENCE_CLAIM/],
    ['the dev issuer in production', { NODE_ENV: 'production', AUTH_DEV_ISSUER: 'true' }, /refused with NODE_ENV=production/],
    ['the dev issuer beside a real issuer', { ...base, AUTH_DEV_ISSUER: 'true' }, /exclusive/],
    ['a JWKS cooldown under a second', { ...base, AUTH_JWKS_COOLDOWN_MS: '10' }, /AUTH_JWKS_COOLDOWN_MS/],
    ['a maximum token age under a minute', { ...base, AUTH_MAX_TOKEN_AGE_SECONDS: '30' }, /AUTH_MAX_TOKEN_AGE_SECONDS/],
    ['a maximum token age over a day', { ...base, AUTH_MAX_TOKEN_AGE_SECONDS: '90000' }, /AUTH_MAX_TOKEN_AGE_SECONDS/],
  ])('refused: %s', (_what, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('AUTH_MAX_TOKEN_AGE_SECONDS sets the age limit (default 3600 s); the dev issuer\'s covers its printed 12 h token', async () => {
    // Asynchronously: the test issuer's JWKS is served by this process.
    const verify = async (extra: Record<string, string>, arg: string) => {
      const { stdout } = await execFileP(process.execPath, ['--import', 'tsx', 'test/fixtures/verify-token.ts', arg], { cwd: API_ROOT, env: { ...process.env, ...extra }, timeout: 60_000 });
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    const fifteenMinutesOld = issuer.token({ iat: Math.floor(Date.now() / 1000) - 900 });
    expect(await verify(issuer.env(), fifteenMinutesOld)).toEqual({ ok: true, sub: 'client-a' });
    expect(await verify(issuer.env({ AUTH_MAX_TOKEN_AGE_SECONDS: '600' }), fifteenMinutesOld)).toEqual({ ok: false, message: 'the token is older than this service accepts (iat)' });
    expect(loadConfig(issuer.env()).auth.maxTokenAgeSeconds).toBe(3600);
    expect(await verify({ AUTH_ISSUER: '', AUTH_AUDIENCE: '', DATABASE_URL: '' }, '--dev')).toEqual({ maxTokenAgeSeconds: 12 * 3600 });
  }, 120_000);

  test('the dev issuer runs by default only in embedded mode outside production', () => {
    expect(loadConfig({}).auth.devIssuer).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production' }).auth.devIssuer).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1/db' }).auth.devIssuer).toBe(false);
    expect(loadConfig(base).auth).toMatchObject({ devIssuer: false, audienceClaim: 'aud', writeScope: 'catalogue:write', algorithms: ['RS256', 'ES256'] });
    expect(() => requireWriteAuth(loadConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1/db' }).auth)).toThrow(/AUTH_ISSUER is not set/);
  });

  test('outside embedded mode a server without AUTH_ISSUER refuses to start (it never serves writes unchecked)', () => {
    const env = { AUTH_ISSUER: undefined, AUTH_AUDIENCE: undefined, DATABASE_URL: 'postgres://nobody:x@127.0.0.1:1/none', PORT: '0' };
    const r = runCommand(['serve'], env);
    expect(r.code).toBe(1);
    expect(r.out).toContain('AUTH_ISSUER is not set');
    const prod = runCommand(['serve'], { AUTH_ISSUER: undefined, AUTH_AUDIENCE: undefined, DATABASE_URL: undefined, NODE_ENV: 'production', PORT: '0' });
    expect(prod.code).toBe(1);
    expect(prod.out).toContain('AUTH_ISSUER is not set');
  });
});
