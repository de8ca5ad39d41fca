/**
 * Tables the compute settings are checked against (libs/compute/src/settings.ts holds every default, once): chart
 * repositories, fixed service account names, and the verified digests of the public images the workloads stack runs.
 * Check what AWS offers for the add-ons with `aws eks describe-addon-versions --kubernetes-version 1.33 --addon-name <name>`.
 */

export const METRICS_SERVER_REPOSITORY = 'https://kubernetes-sigs.github.io/metrics-server/';
export const CLUSTER_AUTOSCALER_REPOSITORY = 'https://kubernetes.github.io/autoscaler';

/** Service account the cluster-autoscaler chart creates in kube-system; its pod identity association names it. */
export const CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = 'cluster-autoscaler';
/** The amazon-cloudwatch-observability add-on's agent service account (namespace amazon-cloudwatch). */
export const CLOUDWATCH_AGENT_SERVICE_ACCOUNT = 'cloudwatch-agent';
/** The namespace the amazon-cloudwatch-observability add-on installs the agent into (its pod identity association's namespace). */
export const CLOUDWATCH_AGENT_NAMESPACE = 'amazon-cloudwatch';

/**
 * Container images the workloads stack runs from public registries, pinned by digest: a tag can be moved to other
 * content, a digest cannot. Each digest below is the multi-arch manifest-list digest that the Kubernetes image
 * promoter published for the tag (the source of truth behind registry.k8s.io), read from
 * github.com/kubernetes/k8s.io `registry.k8s.io/images/k8s-staging-<project>/images.yaml`
 * (cluster-autoscaler at commit fe84f3f6, metrics-server at commit bc1017d8). Check a new one with
 * `crane digest <image>:<tag>` or `docker buildx imagetools inspect <image>:<tag>` before adding it.
 * The default tags (compute.charts in the settings) must be in this table (settings.test.ts holds it).
 */
export const PINNED_IMAGES = {
  'cluster-autoscaler': {
    repository: 'registry.k8s.io/autoscaling/cluster-autoscaler',
    digests: {
      'v1.33.0': 'sha256:6ef10d108e0e45ecd883e074682330bbd4a3403e767ad56804800f2f4ee816da',
      'v1.33.1': 'sha256:0d53371b73eae57dbed927a72b71d4fe756ce4dbfe528b4217a1078cb13445f0',
    } as Readonly<Record<string, string>>,
  },
  'metrics-server': {
    repository: 'registry.k8s.io/metrics-server/metrics-server',
    digests: {
      'v0.8.0': 'sha256:89258156d0e9af60403eafd44da9676fd66f600c7934d468ccc17e42b199aee2',
    } as Readonly<Record<string, string>>,
  },
} as const;
export type PinnedImage = keyof typeof PINNED_IMAGES;

/**
 * The digest to run for `image:tag`: the one given (it must agree with the verified table when the table knows the
 * tag), else the verified one. Returns an error message when neither is available or they disagree.
 */
export function resolveImageDigest(image: PinnedImage, tag: string, given?: string): { digest: string } | { error: string } {
  const known = PINNED_IMAGES[image].digests[tag];
  const ref = `${PINNED_IMAGES[image].repository}:${tag}`;
  if (given !== undefined && known !== undefined && given !== known) {
    return { error: `expected ${known} (the digest published for ${ref}), got ${given}` };
  }
  const digest = given ?? known;
  if (digest === undefined) {
    return { error: `no verified digest is known for ${ref}: set the digest of that tag explicitly (crane digest ${ref})` };
  }
  return { digest };
}

/** `<tag>@<digest>`: a Helm `image.tag` value that renders `<repository>:<tag>@<digest>`, which pulls by digest. */
export function tagWithDigest(tag: string, digest: string): string {
  return `${tag}@${digest}`;
}
