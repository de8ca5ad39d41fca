import path from 'node:path';
import { all, guardrailErrors, only, runExample } from '@awp/guardrails/testing';

// examples/database-and-cache/main.ts runs as a team would run it: a stale example (a renamed setting or source) fails here.
describe('examples/database-and-cache', () => {
  const stacks = runExample(path.join(__dirname, '../examples/database-and-cache/main.ts'));
  const json = stacks['team-observability'];
  const dimensions = all(json, 'aws_cloudwatch_metric_alarm').map((a) => JSON.stringify(a.dimensions ?? a.metric_query ?? {}));

  it('synthesizes the encrypted alarm topic with the email subscription, alarms on the database and each cache node, and the dashboard', () => {
    expect(Object.keys(stacks)).toEqual(['team-observability']);
    expect(only(json, 'aws_sns_topic').kms_master_key_id).toMatch(/^\$\{aws_kms_key\.observability_.*\.arn\}$/);
    expect(only(json, 'aws_sns_topic_subscription')).toMatchObject({ protocol: 'email', endpoint: 'team-a-oncall@example.com' });
    expect(dimensions.some((d) => d.includes('sandbox-postgres'))).toBe(true);
    expect(dimensions.some((d) => d.includes('sandbox-cache-001'))).toBe(true);
    expect(dimensions.some((d) => d.includes('sandbox-cache-002'))).toBe(true);
    expect(all(json, 'aws_cloudwatch_dashboard')).toHaveLength(1);
  });

  it('passes the guardrails', () => {
    expect(guardrailErrors('team-observability', json)).toEqual([]);
  });
});
