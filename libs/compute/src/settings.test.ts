import { DIGEST_PATTERN } from '@awp/config';
import { computeSettings, PINNED_IMAGES, resolveImageDigest } from './index';

const MINIMAL = { kubernetesVersion: '1.33', nodeGroups: [{ name: 'general', instanceTypes: ['m7i.large'], minSize: 1, desiredSize: 1, maxSize: 2 }] };

describe('compute settings and the tables they are checked against', () => {
  const defaults = computeSettings.parse(MINIMAL);

  it('defaults to image tags whose digests are verified (versions.ts PINNED_IMAGES), so no file has to name a digest', () => {
    expect(PINNED_IMAGES['cluster-autoscaler'].digests[defaults.charts.clusterAutoscalerImageTag]).toMatch(DIGEST_PATTERN);
    expect(PINNED_IMAGES['metrics-server'].digests[defaults.charts.metricsServerImageTag]).toMatch(DIGEST_PATTERN);
    for (const image of Object.values(PINNED_IMAGES)) for (const digest of Object.values(image.digests)) expect(digest).toMatch(DIGEST_PATTERN);
  });

  it('defaults that follow the Kubernetes version agree with each other (cluster-autoscaler image, kube-proxy)', () => {
    const minor = /^v(1\.\d+)\./;
    expect(defaults.charts.clusterAutoscalerImageTag.match(minor)?.[1]).toBe(defaults.addons.kubeProxy.match(minor)?.[1]);
    // A minimal section with that version parses: every default fits it.
    expect(computeSettings.safeParse({ ...MINIMAL, kubernetesVersion: defaults.addons.kubeProxy.match(minor)?.[1] }).success).toBe(true);
  });

  it('refuses a digest that disagrees with the verified one, and a tag nobody verified without a digest', () => {
    const r = computeSettings.safeParse({ ...MINIMAL, charts: { metricsServerImageDigest: `sha256:${'a'.repeat(64)}` } });
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      `charts.metricsServerImageDigest: expected ${PINNED_IMAGES['metrics-server'].digests['v0.8.0']} (the digest published for registry.k8s.io/metrics-server/metrics-server:v0.8.0), got sha256:${'a'.repeat(64)}`,
    ]);
    expect(resolveImageDigest('metrics-server', 'v0.9.9')).toEqual({ error: expect.stringMatching(/^no verified digest is known for registry\.k8s\.io\/metrics-server\/metrics-server:v0\.9\.9/) });
  });
});
