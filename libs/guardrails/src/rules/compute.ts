import type { ElementView, GuardrailRule } from '../types';
import { ANYWHERE, at, blocks, isTruthy } from '../util';

/** Kubernetes workload types and where their pod spec sits (`spec.template.spec`, `spec.job_template.spec.template.spec`, …). */
const POD_SPEC_PATHS: Record<string, string> = {
  kubernetes_deployment: 'spec.template.spec',
  kubernetes_deployment_v1: 'spec.template.spec',
  kubernetes_stateful_set: 'spec.template.spec',
  kubernetes_stateful_set_v1: 'spec.template.spec',
  kubernetes_daemonset: 'spec.template.spec',
  kubernetes_daemon_set_v1: 'spec.template.spec',
  kubernetes_replication_controller: 'spec.template.spec',
  kubernetes_replication_controller_v1: 'spec.template.spec',
  kubernetes_job: 'spec.template.spec',
  kubernetes_job_v1: 'spec.template.spec',
  kubernetes_cron_job: 'spec.job_template.spec.template.spec',
  kubernetes_cron_job_v1: 'spec.job_template.spec.template.spec',
  kubernetes_pod: 'spec',
  kubernetes_pod_v1: 'spec',
};
const WORKLOAD_TYPES = Object.keys(POD_SPEC_PATHS);
/** Long-running workloads: they need liveness and readiness probes (Jobs and Pods run to completion). */
const SERVING_TYPES = WORKLOAD_TYPES.filter((t) => !/job|pod/.test(t));

interface ContainerView {
  readonly name: string;
  readonly config: Record<string, unknown>;
}

function podSpec(element: ElementView): Record<string, unknown> | undefined {
  const path = POD_SPEC_PATHS[element.type];
  const spec = path ? at(element.config, path) : undefined;
  return spec && typeof spec === 'object' ? (Array.isArray(spec) ? spec[0] : (spec as Record<string, unknown>)) : undefined;
}

function containers(element: ElementView, withInit = false): ContainerView[] {
  const spec = podSpec(element);
  if (!spec) return [];
  const list = [...blocks(spec.container), ...(withInit ? blocks(spec.init_container) : [])];
  return list.map((c, i) => ({ name: typeof c.name === 'string' ? c.name : `#${i}`, config: c }));
}

const first = (v: unknown): Record<string, unknown> => blocks(v)[0] ?? {};

/** An image reference that names its content: `…@sha256:<digest>`, or `…@${<digest attribute>}` resolved at plan. */
const byDigest = (image: unknown) => typeof image === 'string' && /@(sha256:[0-9a-f]{64}|\$\{[^}]+\})$/.test(image);

/** Every `image` object (with `tag`, `digest` or `repository`) in a Helm values tree. */
function imageValues(value: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(value)) value.forEach((v) => imageValues(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'image' && v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
      else imageValues(v, out);
    }
  }
  return out;
}

/** The Helm values documents of a release that are JSON (the platform writes JSON; YAML text is not inspected). */
function helmValues(element: ElementView): unknown[] {
  return ((element.config.values as unknown[] | undefined) ?? []).flatMap((v) => {
    try {
      return [JSON.parse(String(v))];
    } catch {
      return [];
    }
  });
}

const NAMESPACE_TYPES = ['kubernetes_namespace', 'kubernetes_namespace_v1'];
const NETWORK_POLICY_TYPES = ['kubernetes_network_policy', 'kubernetes_network_policy_v1'];
const isEmptySelector = (v: unknown) => {
  const sel = first(v);
  return Object.keys(sel).every((k) => (Array.isArray(sel[k]) ? (sel[k] as unknown[]).length === 0 : sel[k] === undefined || (typeof sel[k] === 'object' && Object.keys(sel[k] as object).length === 0)));
};
const isZero = (v: unknown) => v === 0 || v === '0';

/** Rules for the compute layer: EKS clusters, their nodes, and what runs on Kubernetes. */
export const computeRules: GuardrailRule[] = [
  {
    id: 'AWP-EKS-001',
    severity: 'error',
    description: 'Nodes require IMDSv2 (http_tokens = "required"); a managed node group without a launch template gets IMDSv1.',
    fix: 'Give the node group a launch template with metadata_options { http_tokens = "required", http_put_response_hop_limit = 1 } (the Cluster construct does).',
    appliesTo: ['aws_launch_template', 'aws_instance', 'aws_eks_node_group'],
    check: ({ element }) => {
      if (element.type === 'aws_eks_node_group') {
        return blocks(element.config.launch_template).length ? undefined : 'node group has no launch template: its nodes accept IMDSv1 with hop limit 2';
      }
      const tokens = at(element.config, 'metadata_options.http_tokens');
      return tokens === 'required' ? undefined : `IMDSv1 allowed (metadata_options.http_tokens is ${tokens === undefined ? 'unset' : `"${String(tokens)}"`})`;
    },
  },
  {
    id: 'AWP-EKS-002',
    severity: 'error',
    description: 'The EKS API has a private endpoint; a public endpoint, if any, is limited to listed CIDRs (never 0.0.0.0/0).',
    fix: 'Set endpoint_private_access = true; list compute.endpointPublicAccessCidrs, or leave it empty to turn the public endpoint off.',
    appliesTo: ['aws_eks_cluster'],
    check: ({ element }) => {
      const vpc = first(element.config.vpc_config);
      const out: string[] = [];
      if (!isTruthy(vpc.endpoint_private_access)) out.push('private endpoint access is off: nodes and pods reach the API over the internet');
      // Terraform's default for endpoint_public_access is true.
      const isPublic = vpc.endpoint_public_access === undefined || isTruthy(vpc.endpoint_public_access);
      const cidrs = (vpc.public_access_cidrs as string[] | undefined) ?? [];
      if (isPublic && (cidrs.length === 0 || cidrs.some((c) => ANYWHERE.includes(c)))) out.push('public endpoint open to the whole internet (public_access_cidrs empty or 0.0.0.0/0)');
      return out;
    },
  },
  {
    id: 'AWP-EKS-003',
    severity: 'error',
    description: 'Kubernetes secrets are envelope-encrypted with a KMS key.',
    fix: 'Add encryption_config { resources = ["secrets"], provider { key_arn = <CMK> } } (the Cluster construct does).',
    appliesTo: ['aws_eks_cluster'],
    check: ({ element }) => {
      const enc = first(element.config.encryption_config);
      const resources = (enc.resources as string[] | undefined) ?? [];
      const key = at(enc, 'provider.key_arn');
      return resources.includes('secrets') && typeof key === 'string' && key.length > 0 ? undefined : 'secrets are not envelope-encrypted (encryption_config with resources ["secrets"] and a key_arn missing)';
    },
  },
  {
    id: 'AWP-K8S-001',
    severity: 'error',
    description: 'Containers are neither privileged nor root: run_as_non_root, no privilege escalation, no privileged mode.',
    fix: 'Set security_context { run_as_non_root = true, run_as_user > 0, allow_privilege_escalation = false, privileged = false } on the pod and every container.',
    appliesTo: WORKLOAD_TYPES,
    check: ({ element }) => {
      const pod = first(podSpec(element)?.security_context);
      const podNonRoot = isTruthy(pod.run_as_non_root);
      const out: string[] = [];
      if (isZero(pod.run_as_user)) out.push('pod runs as user 0 (root)');
      for (const c of containers(element, true)) {
        const sc = first(c.config.security_context);
        if (isTruthy(sc.privileged)) out.push(`container "${c.name}" is privileged`);
        if (sc.allow_privilege_escalation === undefined || isTruthy(sc.allow_privilege_escalation)) out.push(`container "${c.name}" allows privilege escalation`);
        if (isZero(sc.run_as_user)) out.push(`container "${c.name}" runs as user 0 (root)`);
        else if (!podNonRoot && !isTruthy(sc.run_as_non_root)) out.push(`container "${c.name}" may run as root (run_as_non_root not set)`);
      }
      return out;
    },
  },
  {
    id: 'AWP-K8S-002',
    severity: 'error',
    description: 'Every container has CPU and memory requests and limits.',
    fix: 'Set resources { requests = { cpu, memory }, limits = { cpu, memory } } (from service.resources in the environment file).',
    appliesTo: WORKLOAD_TYPES,
    check: ({ element }) =>
      containers(element, true).flatMap((c) => {
        const r = first(c.config.resources);
        const missing = (['requests', 'limits'] as const).flatMap((kind) => (['cpu', 'memory'] as const).filter((q) => !(r[kind] as Record<string, unknown> | undefined)?.[q]).map((q) => `${kind}.${q}`));
        return missing.length ? [`container "${c.name}" lacks resources ${missing.join(', ')}`] : [];
      }),
  },
  {
    id: 'AWP-K8S-003',
    severity: 'error',
    description: 'Long-running containers have liveness and readiness probes.',
    fix: 'Add liveness_probe and readiness_probe (and a startup_probe for slow starts) on the service health endpoints.',
    appliesTo: SERVING_TYPES,
    check: ({ element }) =>
      containers(element).flatMap((c) => {
        const missing = ['liveness_probe', 'readiness_probe'].filter((p) => blocks(c.config[p]).length === 0);
        return missing.length ? [`container "${c.name}" has no ${missing.join(' / ')}`] : [];
      }),
  },
  {
    id: 'AWP-K8S-004',
    severity: 'error',
    description: 'Helm releases pin an exact chart version.',
    fix: 'Set version to an exact chart version (compute.charts in the environment file); no ranges, no "latest".',
    appliesTo: ['helm_release'],
    check: ({ element }) => {
      const v = element.config.version;
      return typeof v === 'string' && /^v?\d+\.\d+\.\d+(-[\w.]+)?$/.test(v) ? undefined : `chart "${String(element.config.chart)}" is not pinned to an exact version (version: ${v === undefined ? 'unset' : JSON.stringify(v)})`;
    },
  },
  {
    id: 'AWP-K8S-005',
    severity: 'error',
    description: 'Images are pinned by digest, not only by tag: containers run `<image>@sha256:…`, Helm releases set their image tag as `<tag>@sha256:…` (or a digest value).',
    fix: 'Resolve the tag to its digest (data.aws_ecr_image for our images; libs/config PINNED_IMAGES for public ones, `crane digest <image>:<tag>`) and pin it.',
    appliesTo: [...WORKLOAD_TYPES, 'helm_release'],
    check: ({ element }) => {
      if (element.type !== 'helm_release') {
        return containers(element, true)
          .filter((c) => !byDigest(c.config.image))
          .map((c) => `container "${c.name}" runs image "${String(c.config.image)}" by tag, not by digest`);
      }
      const images = helmValues(element).flatMap((v) => imageValues(v));
      if (images.length === 0) return `chart "${String(element.config.chart)}" sets no image in its values: the chart's default image is pinned by tag only`;
      return images
        .filter((img) => !(typeof img.digest === 'string' && /^sha256:[0-9a-f]{64}$/.test(img.digest)) && !/@sha256:[0-9a-f]{64}$/.test(String(img.tag ?? '')))
        .map((img) => `chart "${String(element.config.chart)}" pins image tag "${String(img.tag ?? '(chart default)')}" without a digest`);
    },
  },
  {
    id: 'AWP-K8S-006',
    severity: 'error',
    description: 'Every namespace the stack creates has a default-deny NetworkPolicy (all pods, Ingress and Egress, no rules); allowed flows are separate policies.',
    fix: 'Add a kubernetes_network_policy_v1 in the namespace with pod_selector {}, policy_types ["Ingress", "Egress"] and no rules (ServiceWorkloads does), then one policy per allowed flow.',
    appliesTo: NAMESPACE_TYPES,
    check: ({ element, stack }) => {
      const name = at(element.config, 'metadata.name');
      const inNamespace = NETWORK_POLICY_TYPES.flatMap((t) => stack.ofType(t)).filter((p) => {
        const ns = at(p.config, 'metadata.namespace');
        return ns === name || (typeof ns === 'string' && ns.includes(`\${${element.address}.`));
      });
      const denyAll = inNamespace.some((p) => {
        const spec = first(p.config.spec);
        const types = (spec.policy_types as string[] | undefined) ?? [];
        return isEmptySelector(spec.pod_selector) && types.includes('Ingress') && types.includes('Egress') && blocks(spec.ingress).length === 0 && blocks(spec.egress).length === 0;
      });
      return denyAll ? undefined : `namespace "${String(name)}" has no default-deny NetworkPolicy: every pod may reach and be reached by anything`;
    },
  },
  {
    id: 'AWP-EKS-004',
    severity: 'error',
    description: 'The VPC CNI add-on enforces Kubernetes NetworkPolicies (configuration enableNetworkPolicy "true"); without it NetworkPolicies are stored but do nothing.',
    fix: 'Set configuration_values = jsonencode({ enableNetworkPolicy = "true" }) on the vpc-cni add-on (the Cluster construct does).',
    appliesTo: ['aws_eks_addon'],
    check: ({ element }) => {
      if (element.config.addon_name !== 'vpc-cni') return undefined;
      let config: Record<string, unknown> = {};
      try {
        config = JSON.parse(String(element.config.configuration_values ?? '{}')) as Record<string, unknown>;
      } catch {
        return 'configuration_values is not JSON: cannot tell whether NetworkPolicies are enforced';
      }
      return String(config.enableNetworkPolicy) === 'true' ? undefined : 'vpc-cni does not enforce NetworkPolicies (enableNetworkPolicy is not "true")';
    },
  },
];
