import path from 'node:path';
import { all, guardrailErrors, only, runExample } from '@awp/guardrails/testing';

// examples/cognito/main.ts runs as a team would run it: a stale example (a renamed setting or output) fails here.
describe('examples/cognito', () => {
  const stacks = runExample(path.join(__dirname, '../examples/cognito/main.ts'));
  const json = stacks['team-identity'];

  it('synthesizes the user pool with its production defaults, the resource server, one client per caller and the domain', () => {
    expect(Object.keys(stacks)).toEqual(['team-identity']);
    expect(only(json, 'aws_cognito_user_pool')).toMatchObject({ deletion_protection: 'ACTIVE' });
    expect(all(json, 'aws_cognito_resource_server')).toHaveLength(1);
    expect(all(json, 'aws_cognito_user_pool_client').map((c) => c.name).sort()).toEqual([expect.stringContaining('nightly-import'), expect.stringContaining('orders-service')]);
    expect(only(json, 'aws_cognito_user_pool_domain')).toMatchObject({ domain: 'team-a-sandbox-auth' });
    expect(Object.keys(json.output)).toEqual(expect.arrayContaining(['issuer_url', 'audience', 'write_scope', 'token_endpoint', 'client_ids']));
  });

  it('passes the guardrails', () => {
    expect(guardrailErrors('team-identity', json)).toEqual([]);
  });
});
