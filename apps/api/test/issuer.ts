import crypto from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';

/**
 * A test OpenID issuer: real key pairs, their public keys served as a real JWKS over HTTP (counting fetches), and
 * tokens signed with node:crypto — including the malformed and malicious ones a verifier must refuse. Signing is
 * done by hand on purpose: the tests must be able to build tokens no well-behaved library would produce.
 */
export const AUDIENCE = 'catalogue-test';
export const WRITE_SCOPE = 'catalogue:write';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export class TestIssuer {
  /** JWKS requests served so far. */
  jwksFetches = 0;
  /** When true the JWKS endpoint answers 500 (an issuer outage). */
  failJwks = false;
  readonly defaultKey: SigningKey;
  private readonly published = new Map<string, SigningKey>();

  private constructor(
    readonly url: string,
    private readonly server: http.Server,
  ) {
    this.defaultKey = this.newKey();
    this.publish(this.defaultKey);
  }

  static async start(): Promise<TestIssuer> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    server.unref();
    const issuer = new TestIssuer(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, server);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => issuer.serve(req, res));
    return issuer;
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse) {
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    this.jwksFetches++;
    if (this.failJwks) return void res.writeHead(500).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.jwks()));
  }

  get jwksUrl() {
    return `${this.url}/.well-known/jwks.json`;
  }

  /** The environment that points the service at this issuer. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { AUTH_ISSUER: this.url, AUTH_AUDIENCE: AUDIENCE, ...extra };
  }

  newKey(alg: SigningKey['alg'] = 'RS256'): SigningKey {
    const pair = alg === 'RS256' ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }) : crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { kid: crypto.randomBytes(8).toString('hex'), alg, ...pair };
  }

  publish(key: SigningKey) {
    this.published.set(key.kid, key);
  }

  jwks() {
    return { keys: [...this.published.values()].map((k) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' })) };
  }

  /** Valid claims for a write; `claims` overrides them, and an `undefined` value removes a claim. */
  claims(claims: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    const all: Record<string, unknown> = { iss: this.url, aud: AUDIENCE, sub: 'client-a', scope: WRITE_SCOPE, iat: now, exp: now + 3600, ...claims };
    for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
    return all;
  }

  /** A token signed with `key` (default: the published default key); `header` overrides the JOSE header. */
  token(claims: Record<string, unknown> = {}, opts: { key?: SigningKey; header?: Record<string, unknown> } = {}): string {
    const key = opts.key ?? this.defaultKey;
    const input = `${b64({ alg: key.alg, typ: 'JWT', kid: key.kid, ...opts.header })}.${b64(this.claims(claims))}`;
    const sig = crypto.sign('sha256', Buffer.from(input), key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey);
    return `${input}.${sig.toString('base64url')}`;
  }

  /** `alg: none`: no signature at all. */
  unsigned(claims: Record<string, unknown> = {}): string {
    return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(this.claims(claims))}.`;
  }

  /** The classic key-confusion attack: HS256 with the issuer's PUBLIC key (PEM) as the HMAC secret. */
  hmacWithPublicKey(claims: Record<string, unknown> = {}): string {
    const pem = this.defaultKey.publicKey.export({ format: 'pem', type: 'spki' });
    const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: this.defaultKey.kid })}.${b64(this.claims(claims))}`;
    return `${input}.${crypto.createHmac('sha256', pem).update(input).digest('base64url')}`;
  }

  close() {
    this.server.close();
  }
}
