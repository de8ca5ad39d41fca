import crypto from 'node:crypto';
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { AuthConfig } from './config';

/** The caller a valid token names. `sub` scopes its idempotency keys. */
export interface Principal {
  sub: string;
  scopes: ReadonlySet<string>;
}

/**
 * A refused token. `status` 401 (invalid) or 503 (the issuer's keys could not be fetched: not the caller's fault).
 * The description is one of a few fixed sentences: never the token, never a claim value.
 */
export class TokenError extends Error {
  constructor(
    readonly status: 401 | 503,
    message: string,
  ) {
    super(message);
  }
}

export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

/** Small leeway for clock skew between the issuer and this pod (exp, nbf, iat). */
export const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * How long a verified token is remembered (the signature check, ~1 ms of CPU, was the largest part of a write after
 * the database's commit; a client sends the same token for its whole lifetime). Everything remembered is forgotten
 * whenever the issuer's key set is fetched again, so a key the issuer withdrew stops counting as soon as this pod
 * sees the new set, as without the memory.
 */
export const VERIFIED_TOKEN_TTL_MS = 60_000;
const VERIFIED_TOKEN_MAX = 10_000;

interface Verified {
  principal: Principal;
  exp: number;
  iat: number;
}

function describe(err: unknown): TokenError {
  const code = (err as { code?: string }).code;
  if (err instanceof errors.JWTExpired) return new TokenError(401, err.claim === 'iat' ? 'the token is older than this service accepts (iat)' : 'the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === 'nbf') return new TokenError(401, 'the token is not yet valid');
    if (claim === 'iss') return new TokenError(401, 'the token was issued by another issuer');
    if (claim === 'aud') return new TokenError(401, 'the token is not meant for this service (audience)');
    if (claim === 'iat' && err.reason === 'check_failed') return new TokenError(401, 'the token was issued in the future');
    return new TokenError(401, `the token lacks a valid ${claim} claim`);
  }
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return new TokenError(401, 'the token is signed with an algorithm this service does not accept');
  if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') return new TokenError(401, "no key of the issuer matches the token's kid");
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return new TokenError(401, 'the token signature is invalid');
  if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JWKS_INVALID' || !(err instanceof errors.JOSEError) || /JSON Web Key Set/.test((err as Error).message)) {
    // Network errors, timeouts, a non-200 or non-JSON answer from the JWKS endpoint: retry later.
    return new TokenError(503, "the issuer's signing keys could not be fetched");
  }
  return new TokenError(401, 'the token is malformed or unsupported');
}

/** `scope` (RFC 8693/9068: space-separated string; Cognito) or `scp` (a list or a string; Okta, Entra ID). */
function scopesOf(payload: JWTPayload): Set<string> {
  const raw = payload.scope ?? payload.scp;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(' ') : [];
  return new Set(list.filter((s): s is string => typeof s === 'string' && s !== ''));
}

/**
 * Verifies access tokens with jose: signature against the issuer's JWKS (fetched on first use, cached, refetched
 * for an unknown `kid` at most once per AUTH_JWKS_COOLDOWN_MS), the algorithm allow-list (checked before any key
 * lookup, so `none` and HS256 never reach the keys), iss, audience, exp (required), nbf, the token's age (`iat`
 * required, at most AUTH_MAX_TOKEN_AGE_SECONDS old and not in the future, both with the leeway), and a subject.
 * `keys` replaces the remote JWKS (the embedded dev issuer).
 */
export function createVerifier(cfg: AuthConfig, keys?: JWTVerifyGetKey): TokenVerifier {
  if (!cfg.issuer) throw new Error('auth: no issuer configured');
  const issuer = cfg.issuer;
  // jose waits a cooldown after a successful fetch before an unknown kid may refetch; it does not after a failed
  // one. This gate makes it one JWKS request per cooldown either way, so tokens with made-up kids can't turn an
  // issuer outage into a request per token.
  let lastFetch = -Infinity;
  // Successes only, keyed by the token's SHA-256 (every byte, signature included; no bearer token is kept in memory).
  // A hit re-checks the time rules against the clock now: a remembered token still expires on time.
  const verified = new LRUCache<string, Verified>({ max: VERIFIED_TOKEN_MAX, ttl: VERIFIED_TOKEN_TTL_MS });
  const gatedFetch = (url: string, init: RequestInit) => {
    if (Date.now() - lastFetch < cfg.jwksCooldownMs) return Promise.reject(new Error('JSON Web Key Set fetch skipped: cooling down'));
    lastFetch = Date.now();
    // New keys may have dropped one: forget what was verified with the old set (withdrawn keys stop counting at once).
    return fetch(url, init).then((r) => {
      if (r.ok) verified.clear();
      return r;
    });
  };
  const getKey =
    keys ??
    createRemoteJWKSet(new URL(cfg.jwksUrl ?? `${issuer}/.well-known/jwks.json`), {
      cooldownDuration: cfg.jwksCooldownMs,
      cacheMaxAge: 600_000,
      timeoutDuration: 3000,
      [customFetch]: gatedFetch,
    });
  const audiences = new Set(cfg.audiences);
  const stillValid = (v: Verified) => {
    const now = Date.now() / 1000;
    return now <= v.exp + CLOCK_TOLERANCE_SECONDS && now - v.iat <= cfg.maxTokenAgeSeconds + CLOCK_TOLERANCE_SECONDS;
  };
  const verifyUncached = async (token: string): Promise<Verified> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer,
        ...(cfg.audienceClaim === 'aud' ? { audience: cfg.audiences } : {}),
        algorithms: cfg.algorithms,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'sub'],
        // A far-away exp (or an iat in the future) must not make a token good for longer than the issuer's own
        // lifetime: jose refuses iat older than this plus the leeway, and iat ahead of now by more than the leeway.
        maxTokenAge: cfg.maxTokenAgeSeconds,
      }));
    } catch (err) {
      throw describe(err);
    }
    if (cfg.audienceClaim !== 'aud') {
      // Cognito access tokens: the app client id in `client_id` plays the audience's part.
      const v = payload[cfg.audienceClaim];
      const values = Array.isArray(v) ? v : [v];
      if (!values.some((x) => typeof x === 'string' && audiences.has(x))) {
        throw new TokenError(401, 'the token is not meant for this service (audience)');
      }
    }
    // Cognito marks its ID tokens `token_use: id`: only access tokens authorize calls to an API.
    if (payload.token_use !== undefined && payload.token_use !== 'access') throw new TokenError(401, 'the token is not an access token');
    if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 255) throw new TokenError(401, 'the token lacks a valid sub claim');
    return { principal: { sub: payload.sub, scopes: scopesOf(payload) }, exp: payload.exp!, iat: payload.iat! };
  };
  return {
    async verify(token) {
      const key = crypto.createHash('sha256').update(token).digest('base64');
      const hit = verified.get(key);
      if (hit && stillValid(hit)) return hit.principal;
      const v = await verifyUncached(token); // an expired or too old token is refused here, with its own reason
      verified.set(key, v);
      return v.principal;
    },
  };
}
