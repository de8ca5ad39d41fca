import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { API_ROOT } from './harness';

// The verifier remembers tokens it verified (src/auth/verify.ts): the signature is checked once per token, every
// time rule on every use. The scenarios run in a child (jose is ESM-only) with a clock it moves; auth.test.ts
// covers the refusals end to end over HTTP.

type Outcome = Record<string, string | number>;
let r: Record<string, Outcome>;

beforeAll(async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/fixtures/verified-cache.ts'], { cwd: API_ROOT, timeout: 60_000 });
  r = JSON.parse(stdout) as Record<string, Outcome>;
}, 90_000);

test('a token is verified once, then remembered (no second signature check)', () => {
  expect(r.twice).toEqual({ first: 'ok client-a', second: 'ok client-a', keyLookups: 1 });
});

test('a remembered token still expires on time (exp plus the leeway)', () => {
  expect(r.expired).toEqual({ first: 'ok client-a', later: 'refused: the token has expired' });
});

test('a remembered token is refused once older than AUTH_MAX_TOKEN_AGE_SECONDS (plus the leeway)', () => {
  expect(r.tooOld).toEqual({ first: 'ok client-a', later: 'refused: the token is older than this service accepts (iat)' });
});

test('a remembered token is verified again after VERIFIED_TOKEN_TTL_MS (a key the issuer dropped stops counting)', () => {
  expect(r.rememberedFor).toEqual({ later: 'ok client-a', keyLookups: 2 });
});

test('remembering one token lets no other through: a changed signature or claim is refused', () => {
  expect(r.others).toEqual({ flipped: 'refused: the token signature is invalid', forged: 'refused: the token signature is invalid', original: 'ok client-a' });
});

test('a refusal is never remembered: the token is checked (and refused) again', () => {
  expect(r.refusalNotRemembered).toEqual({ first: 'refused: the token is not meant for this service (audience)', second: 'refused: the token is not meant for this service (audience)', keyLookups: 2 });
});

test('a key the issuer withdrew stops counting once the new key set is fetched, remembered tokens included', () => {
  expect(r.rotation).toEqual({
    first: 'ok client-a',
    beforeRefetch: 'ok client-a',
    newKey: 'ok client-b',
    afterRefetch: "refused: no key of the issuer matches the token's kid",
  });
});
