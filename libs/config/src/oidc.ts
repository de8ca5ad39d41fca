/**
 * Checks for the identity section: an OpenID Connect issuer URL, OAuth scope tokens and Cognito domain prefixes.
 * Each returns a problem ("expected …, got …") or undefined; the schema and the identity layer share them.
 */

/**
 * An issuer identifier (OpenID Connect Discovery 1.0 §2, RFC 8414 §2): an https URL with a host, no query, no
 * fragment, no credentials. It is compared byte for byte with the tokens' `iss` claim, so the value must already be
 * in normalized form: a host in capitals, a default `:443`, a `.` or `..` segment or a space would be rewritten by
 * every URL parser, and a token's `iss` would then never match what the service was told. A trailing slash is kept
 * as written (Auth0's issuers end with one; Cognito's, Okta's and Entra ID's do not): it must be the issuer's own.
 */
export function issuerUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected an absolute https URL such as https://login.example.com/tenant, got "${value}"`;
  }
  if (url.protocol !== 'https:') return `expected an https URL (tokens from a plain-http issuer can be forged in transit), got "${value}"`;
  if (url.username || url.password) return `expected no credentials in the URL, got "${value}"`;
  if (value.includes('?') || value.includes('#')) return `expected no query or fragment (an issuer identifier has neither), got "${value}"`;
  // URL adds "/" to an empty path: "https://a.example" and "https://a.example/" are both their own normal form.
  const normal = url.href;
  if (value !== normal && `${value}/` !== normal) return `expected the URL in normalized form, exactly as the tokens' "iss" claim carries it: got "${value}", which parses as "${normal}"`;
  if (url.pathname.includes('//')) return `expected no empty path segment ("//"), got "${value}"`;
  return undefined;
}

/** An OAuth 2.0 scope token (RFC 6749 §3.3): printable ASCII without space, '"' or '\'. */
export function scopeTokenProblem(value: string): string | undefined {
  return /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(value) ? undefined : `expected one OAuth scope token (printable ASCII, no spaces, quotes or backslashes), got "${value}"`;
}

/**
 * A Cognito prefix domain (`<prefix>.auth.<region>.amazoncognito.com`): lowercase letters, digits and hyphens,
 * 1–63 characters, not starting or ending with a hyphen, and without the words Cognito reserves.
 */
export function cognitoDomainPrefixProblem(value: string): string | undefined {
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(value)) return `expected 1-63 lowercase letters, digits and inner hyphens, got "${value}"`;
  const reserved = ['aws', 'amazon', 'cognito'].find((w) => value.includes(w));
  return reserved ? `expected a prefix without "${reserved}" (Cognito refuses prefix domains containing aws, amazon or cognito), got "${value}"` : undefined;
}
