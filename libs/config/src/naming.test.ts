import { clusterName, defaultTags, deliveryRoleNames, globalName, LAYER_DEPENDENCIES, LAYERS, READS_BEYOND_OUTPUTS, planSubnets, resourceName, REQUIRED_TAGS, stackName, type PlatformEnvironment } from './index';

// The top-level fields of environments/prod.json (the whole file is assembled and loaded in apps/infra).
const prod: PlatformEnvironment = {
  name: 'prod',
  tier: 'prod',
  account: { id: '333333333333' },
  region: 'eu-west-1',
  owner: 'platform-team',
  costCenter: 'cc-platform-prod',
  repository: 'example-org/aws-web-platform',
  state: { bucket: 'awp-tfstate-333333333333', keyPrefix: 'platform' },
  delivery: { runsOn: ['self-hosted', 'linux', 'x64', 'awp-prod'] },
};

describe('naming and tagging', () => {
  it('names stacks and resources per environment', () => {
    expect(stackName(prod, 'data')).toBe('prod-data');
    expect(resourceName(prod, 'Assets', 'bucket')).toBe('prod-assets-bucket');
    expect(resourceName(prod, 'x'.repeat(80)).length).toBeLessThanOrEqual(63);
    expect(globalName(prod, 'assets')).toBe('prod-assets-333333333333');
    expect(clusterName(prod)).toBe('prod-eks');
    expect(deliveryRoleNames(prod)).toEqual({ plan: 'aws-web-platform-prod-plan', planPullRequest: 'aws-web-platform-prod-plan-pr', apply: 'aws-web-platform-prod-apply' });
  });

  it('tags carry every required key', () => {
    const tags = defaultTags(prod, 'network');
    for (const key of REQUIRED_TAGS) expect(tags[key]).toBeTruthy();
    expect(tags.Layer).toBe('network');
  });

  it('layer order is a topological order of the dependency graph', () => {
    LAYERS.forEach((layer, i) => {
      for (const dep of LAYER_DEPENDENCIES[layer]) expect(LAYERS.indexOf(dep)).toBeLessThan(i);
    });
  });

  it('every dependency read beyond outputs is a declared dependency (else nothing would wait for it)', () => {
    for (const [layer, ups] of Object.entries(READS_BEYOND_OUTPUTS)) for (const up of ups ?? []) expect([layer, LAYER_DEPENDENCIES[layer as keyof typeof LAYER_DEPENDENCIES]]).toEqual([layer, expect.arrayContaining([up])]);
    expect(READS_BEYOND_OUTPUTS.workloads).toEqual(['cluster', 'identity']);
  });
});

describe('subnet plan', () => {
  it('gives private subnets most of the range and never overlaps', () => {
    const plan = planSubnets('10.30.0.0/16', 3);
    expect(plan).toEqual({
      private: ['10.30.0.0/18', '10.30.64.0/18', '10.30.128.0/18'],
      public: ['10.30.192.0/21', '10.30.200.0/21', '10.30.208.0/21'],
      isolated: ['10.30.224.0/21', '10.30.232.0/21', '10.30.240.0/21'],
    });
    const two = planSubnets('10.10.0.0/16', 2);
    expect(two).toEqual({ private: ['10.10.0.0/18', '10.10.64.0/18'], public: ['10.10.192.0/20', '10.10.208.0/20'], isolated: ['10.10.224.0/20', '10.10.240.0/20'] });
    const six = planSubnets('10.0.0.0/16', 6) as { private: string[] };
    expect(six.private).toHaveLength(6);
    expect(six.private[5]).toBe('10.0.160.0/19');
  });

  it('refuses a range too small for the AZ count', () => {
    expect(planSubnets('10.0.0.0/24', 3)).toMatch(/too small for 3 AZs/);
    expect(typeof planSubnets('10.0.0.0/22', 3)).toBe('object');
  });
});
