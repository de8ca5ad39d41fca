import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { AuthConfig } from '../auth/config';
import type { DevIssuer } from '../auth/dev-issuer';
import { TokenError, type Principal, type TokenVerifier } from '../auth/verify';
import { HttpProblem } from '../products';
import { problemContent } from './problem';
import { withFirst } from './route-hooks';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on protected routes once the bearer token was verified. */
    principal?: Principal;
  }
}

export interface Auth {
  config: AuthConfig;
  verifier: TokenVerifier;
  devIssuer?: DevIssuer;
}

const REALM = 'catalogue';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// RFC 6750 §2.1: "Bearer" 1*SP b64token
const BEARER_RE = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** OpenAPI components: the bearer scheme (how the token is sent) and the issuer with its scopes. */
export function securitySchemes(auth: AuthConfig) {
  return {
    bearerAuth: {
      type: 'http' as const,
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'An OAuth 2.0 access token (a JWT) from the issuer below, as `Authorization: Bearer <token>`. Reads need none.',
    },
    oidc: {
      type: 'openIdConnect' as const,
      openIdConnectUrl: `${auth.issuer ?? ''}/.well-known/openid-configuration`,
      description: `The token's issuer; writes need the scope \`${auth.writeScope}\`.`,
    },
  };
}

function challenge(extra: Record<string, string> = {}): Record<string, string> {
  const params = [`realm="${REALM}"`, ...Object.entries(extra).map(([k, v]) => `${k}="${v}"`)];
  return { 'www-authenticate': `Bearer ${params.join(', ')}` };
}

function unauthorized(detail: string, error?: string): HttpProblem {
  // RFC 6750 §3.1: no error code when the request carried no token at all.
  return new HttpProblem(401, 'Unauthorized', detail, challenge(error ? { error, error_description: detail } : {}));
}

/** Writes (every non-safe method under /v1/) are protected by default: a new write route cannot forget it. */
function isProtected(route: RouteOptions): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  return route.url.startsWith('/v1/') && methods.some((m) => !SAFE_METHODS.has(m));
}

/**
 * Bearer-token authentication for writes (issue 16). Registers an onRoute hook, so register it before the routes:
 * each protected route gets an onRequest check (before its body is parsed), its OpenAPI security requirement and
 * its 401/403 responses. (The embedded dev issuer's endpoints are routes/dev-issuer.ts.)
 */
export default fp<{ auth: Auth }>(
  async (app, { auth }) => {
    const { config, verifier } = auth;
    const scope = config.writeScope;

    const authenticate = async (req: FastifyRequest, _reply: FastifyReply) => {
      const header = req.headers.authorization;
      if (typeof header !== 'string' || !/^bearer(\s|$)/i.test(header)) {
        throw unauthorized(`writes need a bearer token with the scope ${scope}`);
      }
      const m = BEARER_RE.exec(header);
      if (!m) throw unauthorized('the Authorization header is not Bearer <token>', 'invalid_token');
      let principal: Principal;
      try {
        principal = await verifier.verify(m[1]!);
      } catch (err) {
        if (err instanceof TokenError && err.status === 503) {
          req.log.warn({ reason: err.message }, 'token not verified: issuer keys unavailable');
          throw new HttpProblem(503, 'Service Unavailable', err.message);
        }
        const reason = err instanceof TokenError ? err.message : 'the token could not be verified';
        req.log.info({ reason }, 'token refused'); // the reason only: never the token or its claims
        throw unauthorized(reason, 'invalid_token');
      }
      req.log = req.log.child({ sub: principal.sub });
      if (!principal.scopes.has(scope)) {
        throw new HttpProblem(403, 'Forbidden', `the token lacks the scope ${scope}`, challenge({ error: 'insufficient_scope', scope }));
      }
      req.principal = principal;
    };

    app.addHook('onRoute', (route) => {
      if (!isProtected(route)) return;
      route.onRequest = withFirst(route.onRequest, authenticate);
      const schema = (route.schema ??= {}) as Record<string, unknown>;
      schema.security = [{ bearerAuth: [], oidc: [scope] }];
      const wwwAuthenticate = { 'www-authenticate': { type: 'string', description: 'Bearer challenge (RFC 6750)' } };
      schema.response = {
        ...(schema.response as Record<string, unknown>),
        401: { description: 'No token, or an invalid one (expired, not yet valid, wrong issuer or audience, bad signature)', headers: wwwAuthenticate, content: problemContent },
        403: { description: `The token lacks the scope ${scope}`, headers: wwwAuthenticate, content: problemContent },
      };
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['problem'] },
);
