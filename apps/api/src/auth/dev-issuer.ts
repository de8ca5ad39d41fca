import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from './config';

/** Path of the dev issuer, under the service's own base URL. Only routed while the dev issuer runs. */
export const DEV_ISSUER_PATH = '/dev/issuer';
export const DEV_AUDIENCE = 'catalogue-dev';
/** Lifetime of the token printed at start (main.ts). */
export const DEV_TOKEN_TTL_SECONDS = 12 * 3600;
const ALG = 'ES256';

/**
 * Embedded mode's token issuer: a key pair generated at start (never stored), its public key served as a JWKS
 * on a dev-only path, and tokens signed with jose. The service verifies them with the same code as an external
 * issuer's (only the key source differs), so embedded mode refuses writes without a token like production does.
 */
export class DevIssuer {
  private constructor(
    readonly issuer: string,
    readonly jwks: JSONWebKeySet,
    private readonly privateKey: CryptoKey,
    private readonly kid: string,
  ) {}

  static async create(publicBaseUrl: string): Promise<DevIssuer> {
    const { publicKey, privateKey } = await generateKeyPair(ALG);
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    return new DevIssuer(`${publicBaseUrl}${DEV_ISSUER_PATH}`, { keys: [{ ...jwk, kid, alg: ALG, use: 'sig' }] }, privateKey, kid);
  }

  /** The auth settings that make the service accept this issuer's tokens (and only them). */
  config(base: AuthConfig): AuthConfig {
    // Its printed token lives DEV_TOKEN_TTL_SECONDS: accept it that long (development only; never with NODE_ENV=production).
    const maxTokenAgeSeconds = Math.max(base.maxTokenAgeSeconds, DEV_TOKEN_TTL_SECONDS);
    return { ...base, issuer: this.issuer, audiences: [DEV_AUDIENCE], audienceClaim: 'aud', algorithms: [ALG], jwksUrl: undefined, maxTokenAgeSeconds };
  }

  keys(): JWTVerifyGetKey {
    return createLocalJWKSet(this.jwks);
  }

  /** The OpenID discovery document, so the OpenAPI document's openIdConnectUrl resolves in embedded mode too. */
  discovery(scope: string) {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.issuer}/.well-known/jwks.json`,
      scopes_supported: [scope],
      id_token_signing_alg_values_supported: [ALG],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
    };
  }

  async mint(opts: { sub: string; scope: string; ttlSeconds: number }): Promise<string> {
    return new SignJWT({ scope: opts.scope })
      .setProtectedHeader({ alg: ALG, kid: this.kid, typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setAudience(DEV_AUDIENCE)
      .setSubject(opts.sub)
      .setIssuedAt()
      .setExpirationTime(`${opts.ttlSeconds}s`)
      .sign(this.privateKey);
  }
}
