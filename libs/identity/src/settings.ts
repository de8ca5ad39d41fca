import { z } from 'zod';
import { cognitoDomainPrefixProblem, issuerUrlProblem, scopeTokenProblem } from '@awp/config';

/** Cognito's bounds for an access token's lifetime are 5 minutes to 1 day; the platform allows at most 1 hour. */
export const MAX_ACCESS_TOKEN_MINUTES = 60;
export const MIN_ACCESS_TOKEN_MINUTES = 5;

/** A string checked by one of the platform's problem functions (its message is the field's error). */
const checkedString = (problemOf: (value: string) => string | undefined) =>
  z.string().superRefine((v, ctx) => {
    const problem = problemOf(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * The identity layer's settings: the `identity` section of an environment file and the `settings` prop of `Identity`.
 * The one place each default is written (docs/architecture.md → Settings: where a knob lives). `mode` chooses the
 * issuer: `cognito` (the default) creates a user pool, `external` passes an OpenID Connect issuer through.
 */
export const identitySettings = z
  .discriminatedUnion('mode', [
    z
      .strictObject({
        mode: z.literal('cognito').describe('A Cognito user pool of the identity layer issues the tokens (client credentials for machine callers)'),
        featurePlan: z.enum(['LITE', 'ESSENTIALS', 'PLUS']).default('PLUS').describe('The user pool feature plan; threat protection needs PLUS (billed per monthly active user: nothing while the pool has only machine clients)'),
        threatProtection: z
          .enum(['OFF', 'AUDIT', 'ENFORCED'])
          .default('ENFORCED')
          .describe('Threat protection of user sign-ins (compromised credentials, adaptive authentication); AWS advises AUDIT for two weeks before ENFORCED. Prod requires ENFORCED'),
        deletionProtection: z.boolean().default(true).describe('Cognito refuses DeleteUserPool while it is on (every client id and secret would be gone); prod requires it'),
        accessTokenValidityMinutes: z.number().int().min(MIN_ACCESS_TOKEN_MINUTES).max(MAX_ACCESS_TOKEN_MINUTES).default(MAX_ACCESS_TOKEN_MINUTES).describe('Lifetime of an access token (5-60 minutes); a leaked token is good for this long'),
        clients: z
          .array(
            z.strictObject({
              name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'expected a lowercase name like "catalogue-writer"').describe('One app client per calling system, so one can be revoked without the others'),
            }),
          )
          .min(1)
          .default([{ name: 'catalogue-writer' }])
          .describe('Machine-to-machine app clients (client credentials grant, scope catalogue/write only)'),
        domainPrefix: checkedString(cognitoDomainPrefixProblem)
          .optional()
          .describe('Prefix of the Cognito domain that serves the token endpoint (default: <env>-auth-<account id>); unique per region across AWS'),
      })
      .superRefine((c, ctx) => {
        if (c.threatProtection !== 'OFF' && c.featurePlan !== 'PLUS') {
          ctx.addIssue({ code: 'custom', path: ['threatProtection'], message: `expected "OFF" with featurePlan "${c.featurePlan}": threat protection needs the PLUS feature plan, got "${c.threatProtection}"` });
        }
        c.clients.forEach((client, i) => {
          if (c.clients.findIndex((o) => o.name === client.name) !== i) ctx.addIssue({ code: 'custom', path: ['clients', i, 'name'], message: `expected unique client names, "${client.name}" appears twice` });
        });
      }),
    z.strictObject({
      mode: z.literal('external').describe('An OpenID Connect issuer outside this platform; no Cognito resources are created'),
      issuer: checkedString(issuerUrlProblem).describe("The issuer identifier, exactly as the tokens' iss claim carries it (https, no query or fragment; a trailing slash only if the issuer's own)"),
      audience: z
        .array(z.string().regex(/^[^,\s]+$/, 'expected an audience value without commas or spaces (the pods receive the list comma-separated)'))
        .min(1)
        .describe('Accepted values of the audience claim (any one must match)'),
      audienceClaim: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_.:-]*$/, 'expected a claim name like "aud" or "client_id"')
        .default('aud')
        .describe('The claim that carries the audience: "aud" for most issuers; "client_id" for Cognito-style access tokens without aud'),
      writeScope: checkedString(scopeTokenProblem)
        .default('catalogue:write')
        .describe('The scope a token needs to write to the catalogue'),
    }),
  ])
  .prefault({ mode: 'cognito' })
  .describe('Who issues the access tokens the service requires on writes');

/** What a caller may pass (defaults optional; `mode` chooses the issuer, `{ mode: 'cognito' }` is every default). */
export type IdentitySettings = NonNullable<z.input<typeof identitySettings>>;
/** What the construct uses (defaults filled in). */
export type ResolvedIdentitySettings = z.output<typeof identitySettings>;
/** The Cognito issuer's settings in force. */
export type CognitoIssuerSettings = Extract<ResolvedIdentitySettings, { mode: 'cognito' }>;
/** An external issuer's settings in force. */
export type ExternalIssuerSettings = Extract<ResolvedIdentitySettings, { mode: 'external' }>;
export type FeaturePlan = CognitoIssuerSettings['featurePlan'];
export type ThreatProtectionMode = CognitoIssuerSettings['threatProtection'];
