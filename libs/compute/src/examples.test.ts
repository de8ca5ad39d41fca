import path from 'node:path';
import { all, guardrailErrors, only, runExample } from '@awp/guardrails/testing';

// examples/cluster/main.ts runs as a team would run it: a stale example (a renamed setting or output) fails here.
describe('examples/cluster', () => {
  const stacks = runExample(path.join(__dirname, '../examples/cluster/main.ts'));
  const json = stacks['team-cluster'];

  it('synthesizes the EKS cluster in the given subnets, its node group, add-ons, the ECR repository and the admin access entry', () => {
    expect(Object.keys(stacks)).toEqual(['team-cluster']);
    expect(only(json, 'aws_eks_cluster')).toMatchObject({ name: 'sandbox-eks', version: '1.33', vpc_config: { subnet_ids: '${var.private_subnet_ids}' } });
    expect(only(json, 'aws_eks_node_group')).toMatchObject({ scaling_config: { min_size: 1, max_size: 3 } });
    expect(all(json, 'aws_eks_addon').length).toBeGreaterThanOrEqual(4);
    expect(only(json, 'aws_ecr_repository')).toMatchObject({ name: 'sandbox-api' });
    expect(all(json, 'aws_eks_access_entry').map((e) => e.principal_arn)).toContain('arn:aws:iam::123456789012:role/team-a-deploy');
    expect(Object.keys(json.output)).toEqual(expect.arrayContaining(['cluster_name', 'cluster_endpoint', 'ecr_repository_url', 'service_role_name']));
  });

  it('passes the guardrails', () => {
    expect(guardrailErrors('team-cluster', json)).toEqual([]);
  });
});
