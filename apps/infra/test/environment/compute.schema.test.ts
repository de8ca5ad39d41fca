import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DIGEST_PATTERN, quantityMi, quantityMilli } from '@awp/config';
import { PINNED_IMAGES, resolveImageDigest } from '@awp/compute';
import { validateEnvironment } from '../../src/environment';

const ENV_DIR = path.resolve(__dirname, '../../../../environments');
const prodRaw = () => JSON.parse(readFileSync(path.join(ENV_DIR, 'prod.json'), 'utf8'));

function problems(raw: unknown): string[] {
  return validateEnvironment(raw, 'environments/prod.json').problems.map((p) => `${p.path}: ${p.message}`);
}

describe('compute and service sections', () => {
  it('default to pinned add-on and chart versions that match the cluster version', () => {
    const { config, problems: p } = validateEnvironment(prodRaw(), 'environments/prod.json');
    expect(p).toEqual([]);
    expect(config?.compute.addons.kubeProxy).toMatch(/^v1\.33\.\d+-eksbuild\.\d+$/);
    expect(config?.compute.charts).toEqual({ metricsServer: '3.13.0', clusterAutoscaler: '9.47.0', clusterAutoscalerImageTag: 'v1.33.0', metricsServerImageTag: 'v0.8.0', metricsServerReplicas: 2 });
    expect(config?.compute.deletionProtection).toBe(true);
    expect(config?.service.logLevel).toBe('info');
  });

  it('refuses a cluster-autoscaler image of another Kubernetes minor version', () => {
    const raw = prodRaw();
    raw.compute.charts = { clusterAutoscalerImageTag: 'v1.31.2', clusterAutoscalerImageDigest: `sha256:${'a'.repeat(64)}` };
    expect(problems(raw)).toEqual([expect.stringMatching(/^compute\.charts\.clusterAutoscalerImageTag: expected a v1\.33\.x image .* got v1\.31\.2$/)]);
  });

  it('pins the cluster-autoscaler and metrics-server images by the digest published for their tags', () => {
    expect(resolveImageDigest('cluster-autoscaler', 'v1.33.0')).toEqual({ digest: 'sha256:6ef10d108e0e45ecd883e074682330bbd4a3403e767ad56804800f2f4ee816da' });
    expect(resolveImageDigest('metrics-server', 'v0.8.0')).toEqual({ digest: 'sha256:89258156d0e9af60403eafd44da9676fd66f600c7934d468ccc17e42b199aee2' });
    for (const image of Object.values(PINNED_IMAGES)) for (const digest of Object.values(image.digests)) expect(digest).toMatch(DIGEST_PATTERN);
  });

  it('refuses a tag without a verified digest, and a digest that is not the tag\'s', () => {
    const raw = prodRaw();
    raw.compute.charts = { clusterAutoscalerImageTag: 'v1.33.9' };
    expect(problems(raw)).toEqual([expect.stringMatching(/^compute\.charts\.clusterAutoscalerImageDigest: no verified digest is known for registry\.k8s\.io\/autoscaling\/cluster-autoscaler:v1\.33\.9: set the digest/)]);
    raw.compute.charts = { metricsServerImageDigest: `sha256:${'0'.repeat(64)}` };
    expect(problems(raw)).toEqual([`compute.charts.metricsServerImageDigest: expected sha256:89258156d0e9af60403eafd44da9676fd66f600c7934d468ccc17e42b199aee2 (the digest published for registry.k8s.io/metrics-server/metrics-server:v0.8.0), got sha256:${'0'.repeat(64)}`]);
    raw.compute.charts = { clusterAutoscalerImageDigest: 'latest' };
    expect(problems(raw)).toEqual(['compute.charts.clusterAutoscalerImageDigest: expected an image digest like sha256:<64 hex digits>']);
    raw.compute.charts = { clusterAutoscalerImageTag: 'v1.33.9', clusterAutoscalerImageDigest: `sha256:${'b'.repeat(64)}` };
    expect(problems(raw)).toEqual([]);
  });

  it('refuses a kube-proxy add-on of another Kubernetes minor version', () => {
    const raw = prodRaw();
    raw.compute.addons = { kubeProxy: 'v1.32.3-eksbuild.7' };
    expect(problems(raw)).toEqual([expect.stringMatching(/^compute\.addons\.kubeProxy: expected a v1\.33\.x-eksbuild\.N version/)]);
  });

  it('refuses add-on versions that are not exact eksbuild versions', () => {
    const raw = prodRaw();
    raw.compute.addons = { coredns: 'latest' };
    expect(problems(raw)).toEqual(['compute.addons.coredns: expected an EKS add-on version like v1.20.0-eksbuild.1']);
  });

  it('refuses chart version ranges', () => {
    const raw = prodRaw();
    raw.compute.charts = { metricsServer: '^3.13.0' };
    expect(problems(raw)).toEqual(['compute.charts.metricsServer: expected an exact chart version like 3.13.0 (no ranges)']);
  });

  it('refuses limits below requests', () => {
    const raw = prodRaw();
    raw.service.resources = { cpuRequest: '1500m', cpuLimit: '1', memoryRequest: '1Gi', memoryLimit: '512Mi' };
    expect(problems(raw).sort()).toEqual([
      'service.resources.cpuLimit: expected >= cpuRequest (1500m), got 1',
      'service.resources.memoryLimit: expected >= memoryRequest (1Gi), got 512Mi',
    ]);
  });

  it('refuses an unknown log level and an out-of-range migration timeout', () => {
    const raw = prodRaw();
    raw.service.logLevel = 'verbose';
    raw.service.migrationTimeoutSeconds = 5;
    const p = problems(raw);
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(/^service\.logLevel: /);
    expect(p[1]).toMatch(/^service\.migrationTimeoutSeconds: /);
  });

  it('converts quantities', () => {
    expect(quantityMilli('500m')).toBe(500);
    expect(quantityMilli('2')).toBe(2000);
    expect(quantityMi('1Gi')).toBe(1024);
    expect(quantityMi('512Mi')).toBe(512);
  });
});
