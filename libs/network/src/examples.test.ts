import path from 'node:path';
import { all, guardrailErrors, only, runExample } from '@awp/guardrails/testing';

// examples/basic/main.ts runs as a team would run it: a stale example (a renamed prop, a removed output) fails here.
describe('examples/basic', () => {
  const stacks = runExample(path.join(__dirname, '../examples/basic/main.ts'));
  const json = stacks['team-network'];

  it('synthesizes the one stack with the VPC, two AZs of subnets, one NAT gateway, flow logs and the logs key', () => {
    expect(Object.keys(stacks)).toEqual(['team-network']);
    expect(only(json, 'aws_vpc')).toMatchObject({ cidr_block: '10.42.0.0/16' });
    expect(all(json, 'aws_subnet')).toHaveLength(6);
    expect(all(json, 'aws_nat_gateway')).toHaveLength(1);
    expect(all(json, 'aws_flow_log').length).toBeGreaterThanOrEqual(1);
    expect(all(json, 'aws_kms_key').length).toBeGreaterThanOrEqual(1);
    expect(Object.keys(json.output)).toEqual(expect.arrayContaining(['vpc_id', 'private_subnet_ids', 'isolated_subnet_ids', 'workload_security_group_id', 'logs_key_arn']));
  });

  it('uses the team\'s own provider with the required tags, and passes the guardrails', () => {
    expect(json.provider.aws[0].default_tags[0].tags).toMatchObject({ Owner: 'team-a', Layer: 'network' });
    expect(guardrailErrors('team-network', json)).toEqual([]);
  });
});
