import { Fn, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { AutoscalingAttachment } from '@cdktf/provider-aws/lib/autoscaling-attachment';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsEcrImage } from '@cdktf/provider-aws/lib/data-aws-ecr-image';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { Release } from '@cdktf/provider-helm/lib/release';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { HorizontalPodAutoscalerV2 } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { NetworkPolicyV1, type NetworkPolicyV1SpecEgress } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { parseSettings } from '@awp/config';
import { PlanReaderRbac } from './plan-reader';
import { CLUSTER_AUTOSCALER_REPOSITORY, CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, METRICS_SERVER_REPOSITORY, resolveImageDigest, tagWithDigest, type PinnedImage } from './versions';
import { serviceSettings, type ResolvedChartSettings, type ResolvedServiceSettings, type ServiceSettings } from './settings';

export interface EksProvidersProps {
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  /** Base64 PEM (the cluster's `certificate_authority[0].data`). */
  readonly clusterCertificateAuthority: string;
  /** Region of the cluster (passed to `aws eks get-token`). */
  readonly region: string;
}

/**
 * The kubernetes and helm providers of a workloads stack. They authenticate with `exec` (`aws eks get-token`),
 * run when Terraform needs a token: a token read by a data source at plan time expires before a saved plan is applied.
 */
export class EksProviders extends Construct {
  readonly kubernetes: KubernetesProvider;
  readonly helm: HelmProvider;

  constructor(scope: Construct, id: string, props: EksProvidersProps) {
    super(scope, id);
    const exec = { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['eks', 'get-token', '--cluster-name', props.clusterName, '--region', props.region] };
    const caCertificate = Fn.base64decode(props.clusterCertificateAuthority);
    this.kubernetes = new KubernetesProvider(scope, 'kubernetes', { host: props.clusterEndpoint, clusterCaCertificate: caCertificate, exec: [exec] });
    // Releases in ConfigMaps, not Secrets: the plan roles read them through PlanReaderRbac, which reads no Secret
    // (the secret driver would need `list secrets` in kube-system, i.e. every Secret there). No release sets secrets.
    this.helm = new HelmProvider(scope, 'helm', { helmDriver: 'configmap', kubernetes: { host: props.clusterEndpoint, clusterCaCertificate: caCertificate, exec } });
  }
}

/** The namespace of the cluster add-ons' Helm releases (and so of their release ConfigMaps). */
export const HELM_NAMESPACE = 'kube-system';

/** How the service verifies the bearer tokens of writes: the identity layer's issuer contract. */
export interface ServiceAuth {
  /** The `iss` claim, byte for byte (an https URL). */
  readonly issuer: string;
  /** Accepted audience values, comma-separated (Cognito: the app client ids). */
  readonly audience: string;
  /** The claim carrying the audience: `client_id` for Cognito access tokens (no `aud`), `aud` for most issuers. */
  readonly audienceClaim: string;
  /** The scope a write needs (`catalogue/write` with Cognito). */
  readonly writeScope: string;
}

export interface ServiceWorkloadsProps {
  /** The service's settings (`serviceSettings`, libs/compute/src/settings.ts): documented there, with their defaults. */
  readonly settings: ServiceSettings;
  /**
   * A name unique to this installation of the service, the `app.kubernetes.io/instance` label of its objects (the
   * platform passes `<env>-<service name>`, e.g. `prod-api`).
   */
  readonly instance: string;
  // ---- from the cluster ----
  readonly clusterName: string;
  /**
   * The cluster-wide Helm charts to install (metrics-server, cluster-autoscaler): the Cluster's `settings.charts`,
   * already checked against its Kubernetes version and the verified image digests.
   */
  readonly charts: ResolvedChartSettings;
  /** The ECR repository URL; pods run `<url>@<digest of imageTag>`. */
  readonly ecrRepositoryUrl: string;
  /** The ECR repository name, to resolve the tag to its digest at plan time. */
  readonly ecrRepositoryName: string;
  /** The image tag (the workloads stack passes `${var.image_tag}`); a tag missing from ECR fails the plan. */
  readonly imageTag: string;
  /** Name of the service's pod identity role (the Cluster's `serviceRoleName`); its permissions are attached here. */
  readonly serviceRoleName: string;
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** ASG name of every node group; each is attached to `targetGroupArn`. */
  readonly nodeGroupAsgNames: readonly string[];
  // ---- from the edge ----
  /** The ALB target group (instance targets on `nodePort`). */
  readonly targetGroupArn: string;
  /** `https://<site domain>`: public base URL of uploaded images. */
  readonly cdnBaseUrl: string;
  // ---- from the network ----
  /**
   * Where the pods' traffic may go and come from (NetworkPolicies): the private subnets (nodes: the ALB's NodePort
   * traffic arrives from node addresses) and the isolated subnets (PostgreSQL, Valkey).
   */
  readonly network: { readonly privateSubnetCidrs: readonly string[]; readonly isolatedSubnetCidrs: readonly string[] };
  // ---- from the data layer ----
  /**
   * The service connects as `user` with an IAM token (IAM database authentication): it never sees the master secret.
   */
  readonly database: { readonly host: string; readonly port: number | string; readonly name: string; readonly readHost: string; /** @default 'api' */ readonly user?: string };
  /**
   * The migration Job: its own service account and pod identity role (the Cluster's `migrationRoleName`), the
   * RDS-managed master secret it alone reads, and what lets it read it: `grants` made on its role by the caller (the
   * data layer's `database.masterSecret.grantRead(role)`) and/or managed `accessPolicyArns` (default []); the Job waits for both.
   */
  readonly migration: {
    readonly roleName: string;
    readonly serviceAccountName: string;
    readonly masterSecretArn: string;
    readonly accessPolicyArns?: readonly string[];
    readonly grants?: readonly ITerraformDependable[];
  };
  /** The cache (REDIS_HOST, REDIS_PORT) and the secret that says how to authenticate to it (REDIS_AUTH_SECRET_ARN). */
  readonly cache: { readonly host: string; readonly port: number | string; readonly authSecretArn: string };
  /** The uploads bucket (S3_BUCKET). */
  readonly uploadsBucketName: string;
  // ---- from the identity layer ----
  /**
   * The issuer of the access tokens the service requires on every write (AUTH_ISSUER, AUTH_AUDIENCE,
   * AUTH_AUDIENCE_CLAIM, AUTH_WRITE_SCOPE). Required: the service refuses writes it cannot verify.
   */
  readonly auth: ServiceAuth;
  /**
   * Managed policies attached to the service role.
   * @default []
   */
  readonly accessPolicyArns?: readonly string[];
  /**
   * Grants the caller made on the service role (the data layer's `grant*` helpers: database and cache connect, the
   * cache secret, the uploads bucket); the Deployment waits for them.
   * @default []
   */
  readonly grants?: readonly ITerraformDependable[];
  /**
   * An inline policy for the service role when no data layer policy exists: read/write `bucketArn/*`, read
   * `secretArns`, decrypt with `kmsKeyArns` only through Secrets Manager and S3.
   * @default no inline policy
   */
  readonly access?: { readonly bucketArn: string; readonly secretArns: readonly string[]; readonly kmsKeyArns: readonly string[] };
}

/** The EKS Pod Identity Agent's link-local addresses (the SDKs fetch pod credentials there, HTTP on port 80). */
export const POD_IDENTITY_AGENT = { ipv4: '169.254.170.23/32', ipv6: 'fd00:ec2::23/128', port: '80' };

/** The subset of Kubernetes-safe characters of an image tag, for resource names (DNS-1123 labels). */
function nameSafe(tag: string): string {
  // A label must end alphanumeric: drop dashes the replacement or the cut left at the end.
  return Fn.replace(Fn.substr(Fn.lower(Fn.replace(tag, '/[^0-9A-Za-z-]/', '-')), 0, 40), '/-+$/', '');
}

/** An image tag as a label value (at most 63 characters, ending alphanumeric); a commit SHA passes unchanged. */
function labelValue(tag: string): string {
  return Fn.replace(Fn.substr(tag, 0, 63), '/[^0-9A-Za-z]+$/', '');
}

/**
 * The workloads stack's content: cluster-wide Helm releases (metrics-server, cluster-autoscaler) and the service —
 * namespace, service account, migration Job, Deployment, NodePort Service, PDB and HPA — plus the attachment of the
 * node groups' ASGs to the edge's target group and the service role's permissions.
 *
 * Core Kubernetes kinds only (no CRDs), so a plan works on an empty cluster. Assumes the stack has kubernetes and
 * helm providers (see EksProviders) and an AWS provider.
 */
export class ServiceWorkloads extends Construct {
  readonly namespace: string;
  readonly deploymentName: string;
  readonly hpaName: string;
  readonly serviceName: string;
  readonly pdbName: string;
  /** `<name>-migrate-<tag>`: a new Job per image tag, so each deploy migrates once. */
  readonly migrationJobName: string;
  /** The NetworkPolicies of the namespace: default deny, then the flows the service and the migration Job need. */
  readonly networkPolicyNames: string[];
  readonly metricsServerRelease: Release;
  /** `<repository url>@<digest>` the pods run. */
  readonly image: string;
  readonly clusterAutoscalerRelease: Release;
  /** The settings in force (defaults filled in). */
  readonly settings: ResolvedServiceSettings;

  constructor(scope: Construct, id: string, props: ServiceWorkloadsProps) {
    super(scope, id);
    const s = parseSettings(serviceSettings, props.settings, `ServiceWorkloads ${this.node.path}`);
    this.settings = s;
    const { name, port, replicas, hpa, resources: res, drainSeconds: drain, preStopSeconds: preStop, runAsUser: uid, migrationTimeoutSeconds: timeout } = s;
    const charts = props.charts;
    const digest = (image: PinnedImage, tag: string, given?: string) => {
      const r = resolveImageDigest(image, tag, given);
      if ('error' in r) throw new Error(`ServiceWorkloads ${this.node.path}: ${image}: ${r.error}`);
      return r.digest;
    };
    const clusterAutoscalerImage = tagWithDigest(charts.clusterAutoscalerImageTag, digest('cluster-autoscaler', charts.clusterAutoscalerImageTag, charts.clusterAutoscalerImageDigest));
    const metricsServerImage = tagWithDigest(charts.metricsServerImageTag, digest('metrics-server', charts.metricsServerImageTag, charts.metricsServerImageDigest));
    const region = new DataAwsRegion(this, 'region').region;

    // ---- The service role's permissions (the role and its pod identity association live in the cluster stack) ----
    const grants: ITerraformDependable[] = [
      ...(props.grants ?? []),
      ...(props.accessPolicyArns ?? []).map((policyArn, i) => new IamRolePolicyAttachment(this, `service-access-${i}`, { role: props.serviceRoleName, policyArn })),
    ];
    const migrationGrants: ITerraformDependable[] = [
      ...(props.migration.grants ?? []),
      ...(props.migration.accessPolicyArns ?? []).map((policyArn, i) => new IamRolePolicyAttachment(this, `migration-access-${i}`, { role: props.migration.roleName, policyArn })),
    ];
    if (props.access) {
      const a = props.access;
      const statements: DataAwsIamPolicyDocumentStatement[] = [
        { sid: 'ListUploads', actions: ['s3:ListBucket'], resources: [a.bucketArn] },
        { sid: 'ReadWriteUploads', actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'], resources: [`${a.bucketArn}/*`] },
      ];
      if (a.secretArns.includes(props.migration.masterSecretArn)) {
        throw new Error(`ServiceWorkloads ${this.node.path}: access.secretArns must not include the database master secret: only the migration Job reads it`);
      }
      if (a.secretArns.length > 0) statements.push({ sid: 'ReadOwnSecrets', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [...a.secretArns] });
      if (a.kmsKeyArns.length > 0) {
        statements.push({
          sid: 'DecryptThroughSecretsManagerAndS3',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [...a.kmsKeyArns],
          // The keys are usable only as Secrets Manager and S3 use them on the service's behalf.
          condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`secretsmanager.${region}.amazonaws.com`, `s3.${region}.amazonaws.com`] }],
        });
      }
      grants.push(
        new IamRolePolicy(this, 'service-policy', {
          role: props.serviceRoleName,
          name: `${name}-data-access`,
          policy: new DataAwsIamPolicyDocument(this, 'service-policy-doc', { statement: statements }).json,
        }),
      );
    }

    // ---- The ALB reaches the pods through the NodePort on every node ---------------------------------------
    props.nodeGroupAsgNames.forEach((asg, i) => new AutoscalingAttachment(this, `target-group-attachment-${i}`, { autoscalingGroupName: asg, lbTargetGroupArn: props.targetGroupArn }));

    // ---- Cluster add-ons from Helm ------------------------------------------------------------------------
    const release = (id: string, chart: string, repository: string, version: string, values: Record<string, unknown>) =>
      new Release(this, id, {
        name: chart,
        chart,
        repository,
        version,
        namespace: HELM_NAMESPACE,
        values: [JSON.stringify(values)], // JSON is YAML; keys are the chart's own (camelCase) names
        atomic: true, // a failed upgrade rolls back instead of leaving a half-applied release
        cleanupOnFail: true,
        wait: true,
        timeout: 600,
        maxHistory: 10,
      });
    this.metricsServerRelease = release('metrics-server', 'metrics-server', METRICS_SERVER_REPOSITORY, charts.metricsServer, {
      replicas: charts.metricsServerReplicas,
      podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
      priorityClassName: 'system-cluster-critical',
      // tag@digest: the chart renders "<repository>:<tag>@<digest>" and the node pulls exactly that manifest.
      image: { tag: metricsServerImage },
      resources: { requests: { cpu: '100m', memory: '200Mi' }, limits: { memory: '400Mi' } },
    });
    this.clusterAutoscalerRelease = release('cluster-autoscaler', 'cluster-autoscaler', CLUSTER_AUTOSCALER_REPOSITORY, charts.clusterAutoscaler, {
      cloudProvider: 'aws',
      awsRegion: region,
      autoDiscovery: { clusterName: props.clusterName },
      image: { tag: clusterAutoscalerImage },
      // The pod identity association (cluster stack) binds this exact service account to the autoscaler role.
      rbac: { create: true, serviceAccount: { create: true, name: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT } },
      replicaCount: 1, // leader-elected: a second replica only waits
      priorityClassName: 'system-cluster-critical',
      extraArgs: {
        'balance-similar-node-groups': true, // keep AZ-spread groups the same size
        expander: 'least-waste',
        'skip-nodes-with-local-storage': false, // emptyDir /tmp must not pin nodes forever
        'skip-nodes-with-system-pods': false, // system pods have PDBs
        'scale-down-unneeded-time': '10m',
      },
      resources: { requests: { cpu: '100m', memory: '300Mi' }, limits: { memory: '600Mi' } },
    });

    // ---- The service --------------------------------------------------------------------------------------
    // Kubernetes' recommended labels. The selector stays the name alone: a Deployment's selector is immutable.
    const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': props.instance, 'app.kubernetes.io/part-of': 'aws-web-platform', 'app.kubernetes.io/managed-by': 'terraform' };
    // The version is the image tag, on the objects that run the image (the Deployment, the migration Job and their
    // pods): on the others it would turn every deploy into in-place updates of objects that did not change.
    const versioned = { ...labels, 'app.kubernetes.io/version': labelValue(props.imageTag) };
    const selector = { 'app.kubernetes.io/name': name };
    const ns = new NamespaceV1(this, 'namespace', {
      metadata: {
        name: props.namespace,
        // Pod Security Admission: the namespace only admits pods that meet the "restricted" profile.
        labels: { ...labels, 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' },
      },
    });
    this.namespace = ns.metadata.name;
    // The delivery plan roles read exactly what this stack manages, in the namespaces it manages (no Secrets, no
    // pod logs): their access entries map them to PLAN_READER_GROUP with no access policy (Cluster).
    new PlanReaderRbac(this, 'plan-reader', { namespaces: [ns.metadata.name, HELM_NAMESPACE] });
    const sa = new ServiceAccountV1(this, 'service-account', {
      metadata: { name: props.serviceAccountName, namespace: ns.metadata.name, labels },
      // Pod Identity injects its own projected token; the service never talks to the Kubernetes API.
      automountServiceAccountToken: false,
    });
    if (props.migration.serviceAccountName === props.serviceAccountName) {
      throw new Error(`ServiceWorkloads ${this.node.path}: the migration Job needs its own service account (its role reads the master secret), got "${props.serviceAccountName}" for both`);
    }
    const migrationSa = new ServiceAccountV1(this, 'migration-service-account', {
      metadata: { name: props.migration.serviceAccountName, namespace: ns.metadata.name, labels: { ...labels, 'app.kubernetes.io/component': 'migration' } },
      automountServiceAccountToken: false,
    });

    // Pin the pods to the digest behind the tag: the plan fails early on a tag that was never pushed, and the
    // Deployment changes exactly when the image does.
    const ecrImage = new DataAwsEcrImage(this, 'image', { repositoryName: props.ecrRepositoryName, imageTag: props.imageTag });
    const image = `${props.ecrRepositoryUrl}@${ecrImage.imageDigest}`;
    this.image = image;
    const dbUser = props.database.user ?? 'api';
    // The service logs in as its own database user with an IAM token; the migration Job (below) creates that user.
    const env: Record<string, string> = {
      PORT: String(port),
      DATABASE_HOST: props.database.host,
      DATABASE_PORT: String(props.database.port),
      DATABASE_NAME: props.database.name,
      DATABASE_READ_HOST: props.database.readHost,
      DATABASE_USER: dbUser,
      DATABASE_IAM_AUTH: 'true',
      REDIS_HOST: props.cache.host,
      REDIS_PORT: String(props.cache.port),
      REDIS_TLS: 'true',
      REDIS_AUTH_SECRET_ARN: props.cache.authSecretArn,
      S3_BUCKET: props.uploadsBucketName,
      AWS_REGION: region,
      CDN_BASE_URL: props.cdnBaseUrl,
      DRAIN_SECONDS: String(drain),
      LOG_LEVEL: s.logLevel,
      MIGRATE_ON_START: 'false', // the Job below migrates, once per image
      // A database outage must not fail every pod's readiness: the NodePort would lose all endpoints and the cached
      // reads the service can still serve would be lost too. /readyz reports "degraded"; writes answer 503 + Retry-After.
      READY_REQUIRES_DATABASE: 'false',
      // Bearer tokens on writes (issue 16). None is secret: the JWKS comes from the issuer over 443.
      AUTH_ISSUER: props.auth.issuer,
      AUTH_AUDIENCE: props.auth.audience,
      AUTH_AUDIENCE_CLAIM: props.auth.audienceClaim,
      AUTH_WRITE_SCOPE: props.auth.writeScope,
    };
    const envList = Object.entries(env).map(([k, value]) => ({ name: k, value }));
    // The migration Job runs as the database owner (the RDS-managed master secret) and creates DATABASE_APP_USER
    // with only the rights the service needs, IAM authentication (rds_iam) included.
    const migrationEnv: Record<string, string> = {
      DATABASE_HOST: props.database.host,
      DATABASE_PORT: String(props.database.port),
      DATABASE_NAME: props.database.name,
      DATABASE_SECRET_ARN: props.migration.masterSecretArn,
      DATABASE_APP_USER: dbUser,
      AWS_REGION: region,
      LOG_LEVEL: s.logLevel,
      // Only what `migrate` reads, no AUTH_*: a Job's pod template is immutable, so every value here that changes
      // (a new Cognito client changes AUTH_AUDIENCE) replaces the Job and re-runs the migration. The api needs
      // an issuer only to serve (requireWriteAuth); migrate and seed run without one.
    };
    const migrationEnvList = Object.entries(migrationEnv).map(([k, value]) => ({ name: k, value }));

    // ---- NetworkPolicies (enforced by the VPC CNI's network policy agent) -----------------------------------
    // Default deny in the namespace, then the flows written out. Core kinds only (networking.k8s.io/v1).
    const servicePods = { matchLabels: selector, matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'DoesNotExist' }] };
    const migrationPods = { matchLabels: { ...selector, 'app.kubernetes.io/component': 'migration' } };
    const tcp = (...ports: (number | string)[]) => ports.map((p) => ({ port: String(p), protocol: 'TCP' }));
    const toCidrs = (cidrs: readonly string[]) => cidrs.map((cidr) => ({ ipBlock: { cidr } }));
    const dns: NetworkPolicyV1SpecEgress = {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [{ port: '53', protocol: 'UDP' }, { port: '53', protocol: 'TCP' }],
    };
    // AWS APIs through the interface endpoints, S3 through the gateway endpoint, the token issuer's JWKS through NAT.
    const https: NetworkPolicyV1SpecEgress = { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: tcp(443) };
    const podIdentity: NetworkPolicyV1SpecEgress = {
      to: [{ ipBlock: { cidr: POD_IDENTITY_AGENT.ipv4 } }, { ipBlock: { cidr: POD_IDENTITY_AGENT.ipv6 } }],
      ports: tcp(POD_IDENTITY_AGENT.port),
    };
    const postgres: NetworkPolicyV1SpecEgress = { to: toCidrs(props.network.isolatedSubnetCidrs), ports: tcp(props.database.port) };
    const valkey: NetworkPolicyV1SpecEgress = { to: toCidrs(props.network.isolatedSubnetCidrs), ports: tcp(props.cache.port) };
    const policy = (key: string, policyName: string, spec: ConstructorParameters<typeof NetworkPolicyV1>[2]['spec']) =>
      new NetworkPolicyV1(this, key, { metadata: { name: policyName, namespace: ns.metadata.name, labels }, spec });
    const networkPolicies = [
      policy('default-deny', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      policy('service-flows', `${name}-flows`, {
        podSelector: servicePods,
        policyTypes: ['Ingress', 'Egress'],
        // The ALB reaches the pods through the NodePort on instance targets: kube-proxy forwards from node addresses.
        ingress: [{ from: toCidrs(props.network.privateSubnetCidrs), ports: tcp(port) }],
        egress: [dns, postgres, valkey, https, podIdentity],
      }),
      policy('migration-flows', `${name}-migration-flows`, { podSelector: migrationPods, policyTypes: ['Ingress', 'Egress'], egress: [dns, postgres, https, podIdentity] }),
    ];
    this.networkPolicyNames = networkPolicies.map((p) => p.metadata.name);
    const containerSecurity = {
      runAsNonRoot: true,
      runAsUser: String(uid),
      runAsGroup: String(uid),
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    };
    const podSecurity = { runAsNonRoot: true, runAsUser: String(uid), runAsGroup: String(uid), fsGroup: String(uid), seccompProfile: { type: 'RuntimeDefault' } };
    const resources = { requests: { cpu: res.cpuRequest, memory: res.memoryRequest }, limits: { cpu: res.cpuLimit, memory: res.memoryLimit } };
    // The root filesystem is read-only; Node and the AWS SDK may write temp files.
    const tmpVolume = { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } };
    const tmpMount = { name: 'tmp', mountPath: '/tmp' };

    const tag = nameSafe(props.imageTag);
    const job = new JobV1(this, 'migrate', {
      metadata: { name: `${name}-migrate-${tag}`, namespace: ns.metadata.name, labels: { ...versioned, 'app.kubernetes.io/component': 'migration' } },
      spec: {
        backoffLimit: 2,
        activeDeadlineSeconds: timeout,
        template: {
          metadata: { labels: { ...versioned, 'app.kubernetes.io/component': 'migration' } },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: migrationSa.metadata.name,
            automountServiceAccountToken: false,
            securityContext: podSecurity,
            container: [
              {
                name: 'migrate',
                image,
                imagePullPolicy: 'Always', // a manifest check per start; the layers stay cached
                command: [...s.migrateCommand],
                env: migrationEnvList,
                resources,
                securityContext: containerSecurity,
                volumeMount: [tmpMount],
              },
            ],
            volume: [tmpVolume],
          },
        },
      },
      // Terraform waits for success: a failed migration stops the apply before the rollout starts.
      waitForCompletion: true,
      timeouts: { create: `${timeout}s`, update: `${timeout}s` },
      dependsOn: [...migrationGrants, ...networkPolicies],
    });
    this.migrationJobName = job.metadata.name;

    const deployment = new DeploymentV1(this, 'deployment', {
      metadata: { name, namespace: ns.metadata.name, labels: versioned },
      spec: {
        replicas: String(replicas.min),
        revisionHistoryLimit: 5,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: selector },
        // Never below the current capacity during a rollout.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '0' } },
        template: {
          metadata: { labels: versioned },
          spec: {
            serviceAccountName: sa.metadata.name,
            automountServiceAccountToken: false,
            // preStop + drain + margin: the kubelet never SIGKILLs a pod that is still draining.
            terminationGracePeriodSeconds: preStop + drain + 10,
            securityContext: podSecurity,
            topologySpreadConstraint: [
              { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: [{ matchLabels: selector }] },
              { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: [{ matchLabels: selector }] },
            ],
            container: [
              {
                name,
                image,
                imagePullPolicy: 'Always', // a manifest check per start; the layers stay cached
                port: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
                env: envList,
                resources,
                securityContext: containerSecurity,
                // Startup: up to 60 s to open pools and warm up before liveness counts.
                startupProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 },
                livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
                readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, failureThreshold: 2, successThreshold: 1, timeoutSeconds: 2 },
                // Keep serving while kube-proxy on every node (the ALB's NodePort path) drops the endpoint; the image
                // has no shell utilities, so the sleep is node's.
                lifecycle: { preStop: [{ exec: { command: ['node', '-e', `setTimeout(() => {}, ${preStop * 1000})`] } }] },
                volumeMount: [tmpMount],
              },
            ],
            volume: [tmpVolume],
          },
        },
      },
      waitForRollout: true,
      timeouts: { create: '15m', update: '15m' },
      // The HPA owns the replica count after creation.
      lifecycle: { ignoreChanges: ['spec[0].replicas'] },
      dependsOn: [job, ...grants],
    });
    this.deploymentName = deployment.metadata.name;

    const service = new ServiceV1(this, 'service', {
      metadata: { name, namespace: ns.metadata.name, labels },
      spec: {
        type: 'NodePort',
        selector,
        // Cluster: every node answers on the NodePort, so the ALB's health checks pass on nodes without a pod too.
        externalTrafficPolicy: 'Cluster',
        port: [{ name: 'http', port: 80, targetPort: 'http', nodePort: s.nodePort, protocol: 'TCP' }],
      },
      waitForLoadBalancer: false,
    });
    this.serviceName = service.metadata.name;

    const pdb = new PodDisruptionBudgetV1(this, 'pdb', {
      metadata: { name, namespace: ns.metadata.name, labels },
      // One at a time: drains and scale-downs proceed, never more than one pod short (works with 1 replica too).
      spec: { maxUnavailable: '1', selector: { matchLabels: selector } },
    });
    this.pdbName = pdb.metadata.name;

    const autoscaler = new HorizontalPodAutoscalerV2(this, 'hpa', {
      metadata: { name, namespace: ns.metadata.name, labels },
      spec: {
        minReplicas: replicas.min,
        maxReplicas: replicas.max,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name },
        metric: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: hpa.cpuUtilization } } },
          { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: hpa.memoryUtilization } } },
        ],
        behavior: {
          // Up fast (double or +4 pods per 30 s), down slowly (5 min window, half per minute at most).
          scaleUp: [{ stabilizationWindowSeconds: 0, selectPolicy: 'Max', policy: [{ type: 'Percent', value: 100, periodSeconds: 30 }, { type: 'Pods', value: 4, periodSeconds: 30 }] }],
          scaleDown: [{ stabilizationWindowSeconds: 300, selectPolicy: 'Min', policy: [{ type: 'Percent', value: 50, periodSeconds: 60 }] }],
        },
      },
    });
    this.hpaName = autoscaler.metadata.name;
  }
}
