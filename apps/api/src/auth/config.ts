import { bool, int } from '../config';

/**
 * Who may write (issue 16): OAuth 2.0 access tokens (JWTs) from one OpenID Connect issuer, with a write scope.
 *
 *   AUTH_ISSUER          issuer URL, compared exactly with the token's `iss`
 *   AUTH_AUDIENCE        accepted audience(s), comma-separated; required with AUTH_ISSUER
 *   AUTH_AUDIENCE_CLAIM  claim holding the audience: `aud` (default); Amazon Cognito access tokens carry no `aud`,
 *                        their app client id is in `client_id`
 *   AUTH_WRITE_SCOPE     scope that allows writes (default `catalogue:write`; Cognito custom scopes: `catalogue/write`)
 *   AUTH_JWKS_URL        the issuer's keys (default `<issuer>/.well-known/jwks.json`, where Cognito serves them)
 *   AUTH_ALGORITHMS      allowed signature algorithms (default RS256,ES256); asymmetric only
 *   AUTH_JWKS_COOLDOWN_MS  least time between two JWKS fetches caused by an unknown `kid` (default 30000)
 *   AUTH_MAX_TOKEN_AGE_SECONDS  oldest `iat` accepted, plus the leeway (default 3600: the platform's Cognito access
 *                        tokens live at most 60 minutes, libs/config); `iat` is then required
 *   AUTH_DEV_ISSUER      run a local issuer in this process (default: in embedded mode outside production)
 *
 * Without AUTH_ISSUER and without the dev issuer the server refuses to start (see requireWriteAuth): a pod that
 * silently refused (or allowed) every write would pass its probes.
 */
export interface AuthConfig {
  issuer?: string;
  audiences: string[];
  audienceClaim: string;
  writeScope: string;
  jwksUrl?: string;
  algorithms: string[];
  jwksCooldownMs: number;
  /** RFC 8725 §3.10 / RFC 9068 §4: a token is refused once its `iat` is older than this, whatever its `exp` says. */
  maxTokenAgeSeconds: number;
  devIssuer: boolean;
}

/** Signature algorithms a JWKS of public keys can verify. HMAC (HS*) and `none` are never accepted. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** RFC 6749 §3.3 scope-token characters. */
const SCOPE_RE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const CLAIM_RE = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Keys fetched over plain HTTP could be swapped by anyone on the path: https, except on this machine (tests). */
function keyUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`config: ${name} is not a valid URL, got "${raw}"`);
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname))) {
    throw new Error(`config: ${name} must be an https URL (http only on localhost), got "${raw}"`);
  }
  return raw;
}

export function loadAuthConfig(env: NodeJS.ProcessEnv, opts: { embedded: boolean }): AuthConfig {
  const issuer = keyUrl(env, 'AUTH_ISSUER');
  const jwksUrl = keyUrl(env, 'AUTH_JWKS_URL');
  const audiences = (env.AUTH_AUDIENCE ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  if (issuer && audiences.length === 0) {
    throw new Error('config: AUTH_AUDIENCE is required with AUTH_ISSUER (the audience(s) this service accepts, comma-separated)');
  }
  if (jwksUrl && !issuer) throw new Error('config: AUTH_JWKS_URL is set but AUTH_ISSUER is not');
  const audienceClaim = env.AUTH_AUDIENCE_CLAIM || 'aud';
  if (!CLAIM_RE.test(audienceClaim)) throw new Error(`config: AUTH_AUDIENCE_CLAIM must be a claim name such as aud or client_id, got "${audienceClaim}"`);
  const writeScope = env.AUTH_WRITE_SCOPE || 'catalogue:write';
  if (!SCOPE_RE.test(writeScope)) throw new Error(`config: AUTH_WRITE_SCOPE must be one OAuth scope (no spaces or quotes), got "${writeScope}"`);
  const algorithms = (env.AUTH_ALGORITHMS || 'RS256,ES256').split(',').map((a) => a.trim()).filter(Boolean);
  for (const a of algorithms) {
    if (!ASYMMETRIC_ALGORITHMS.includes(a)) {
      throw new Error(`config: AUTH_ALGORITHMS: "${a}" is not allowed; use asymmetric algorithms only (${ASYMMETRIC_ALGORITHMS.join(', ')})`);
    }
  }
  const production = env.NODE_ENV === 'production';
  const devIssuer = bool(env, 'AUTH_DEV_ISSUER') ?? (opts.embedded && !issuer && !production);
  if (devIssuer && issuer) throw new Error('config: AUTH_DEV_ISSUER=true and AUTH_ISSUER are exclusive: the dev issuer is for local runs only');
  if (devIssuer && production) throw new Error('config: AUTH_DEV_ISSUER=true is refused with NODE_ENV=production: anyone could mint write tokens');
  return {
    issuer, // compared exactly with `iss`, as configured
    audiences,
    audienceClaim,
    writeScope,
    jwksUrl,
    algorithms,
    jwksCooldownMs: int(env, 'AUTH_JWKS_COOLDOWN_MS', 30_000, 1000, 3_600_000),
    maxTokenAgeSeconds: int(env, 'AUTH_MAX_TOKEN_AGE_SECONDS', 3600, 60, 86_400),
    devIssuer,
  };
}

/** Serving needs someone who can issue write tokens; migrate and seed don't. */
export function requireWriteAuth(auth: AuthConfig): void {
  if (!auth.issuer && !auth.devIssuer) {
    throw new Error(
      'config: AUTH_ISSUER is not set: writes need a token issuer. Set AUTH_ISSUER and AUTH_AUDIENCE ' +
        '(AUTH_AUDIENCE_CLAIM, AUTH_WRITE_SCOPE as the issuer needs), or AUTH_DEV_ISSUER=true for a local run',
    );
  }
}
