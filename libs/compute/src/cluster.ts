import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { parseSettings, policyJson } from '@awp/config';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
import { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, CLOUDWATCH_AGENT_NAMESPACE, CLOUDWATCH_AGENT_SERVICE_ACCOUNT } from './versions';
import { computeSettings, type ComputeSettings, type ResolvedComputeSettings } from './settings';
import { PLAN_READER_GROUP } from './plan-reader';

export interface ClusterProps {
  /** The layer's settings (`computeSettings`, libs/compute/src/settings.ts): documented there, with their defaults. */
  readonly settings: ComputeSettings;
  /** EKS cluster name (`clusterName(env)`); also the prefix of IAM role and key names. */
  readonly clusterName: string;
  /** Private subnets (one per AZ) for the control plane ENIs and the nodes. */
  readonly privateSubnetIds: string[];
  /** The network's workload security group: nodes (and so pods) carry it next to the cluster security group. */
  readonly workloadSecurityGroupId: string;
  /** CMK for CloudWatch Logs (the network's `logsKeyArn`); every log group here uses it. */
  readonly logsKeyArn: string;
  /** ECR repository of the service image. */
  readonly repositoryName: string;
  /**
   * Roles granted cluster-admin through EKS access entries (the delivery apply role), before `settings.adminRoleArn`.
   * @default []
   */
  readonly adminRoleArns?: readonly string[];
  /**
   * Roles mapped to the Kubernetes group `viewGroup`, with no access policy — the delivery plan roles, whose plans
   * refresh the workloads stack's objects and Helm releases (kept in ConfigMaps, helm_driver "configmap"). What the
   * group may read is the workloads stack's RBAC (PlanReaderRbac: its own kinds, no Secrets, no pod logs).
   * @default []
   */
  readonly viewRoleArns?: readonly string[];
  /** The Kubernetes group of the view roles. @default PLAN_READER_GROUP */
  readonly viewGroup?: string;
  /** Namespace the service runs in (the service settings' `name`); its pod identity association is created here. */
  readonly serviceNamespace: string;
  /** Service account of the service (the service settings' `name`). */
  readonly serviceAccountName: string;
  /** Service account of the migration Job (its own pod identity role reads the database master secret). @default '<serviceAccountName>-migrate' */
  readonly migrationServiceAccountName?: string;
}

const LOG_TYPES = ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'];
/**
 * The Container Insights log groups the add-on writes: container logs (application), the agent's performance events,
 * and "dataplane" and "host". The last two stay empty on AL2023 and Bottlerocket nodes (AWS: "When using Amazon Linux
 * 2023 nodes, dataplane and host logs vended by Container Insights will not be available"), but the agent may create
 * any group under the prefix (its Fluent Bit auto-creates on first write): created here too, so whatever lands there
 * is encrypted and expires — never a group the agent made, unencrypted and kept forever.
 */
const CONTAINER_INSIGHTS_GROUPS = ['application', 'performance', 'dataplane', 'host'];

/**
 * The CloudWatch agent configuration of the amazon-cloudwatch-observability add-on: enhanced Container Insights
 * only. The add-on's default also turns on Application Signals (traces to X-Ray, the `ApplicationSignals` metrics
 * and `/aws/application-signals/data` logs), which needs AWSXrayWriteOnlyAccess and more; nothing here is
 * instrumented for it, so it is off rather than failing for want of permissions.
 */
export const CLOUDWATCH_AGENT_CONFIG = { agent: { config: { logs: { metrics_collected: { kubernetes: { enhanced_container_insights: true } } } } } };

/** VPC CNI configuration: enforce Kubernetes NetworkPolicies (the network policy agent, VPC CNI 1.14+). */
export const VPC_CNI_CONFIG = { enableNetworkPolicy: 'true' };

/** Ports the control plane opens to nodes and pods: kubelet (10250) and admission webhooks / aggregated APIs. */
export const CONTROL_PLANE_TO_NODE_PORTS = [443, 4443, 6443, 8443, 9443, 10250];

/**
 * The compute layer's AWS side: an EKS cluster with managed node groups (the ASG of the architecture), its add-ons,
 * pod identity roles, and the ECR repository of the service image.
 *
 * - API endpoint private, public only for the configured CIDRs; Kubernetes secrets envelope-encrypted with a CMK;
 *   all control-plane logs to a KMS-encrypted log group with retention.
 * - Authentication mode `API`: access entries only (no aws-auth ConfigMap); the creator gets no implicit admin.
 * - Nodes: launch template with IMDSv2 required and hop limit 1 (pods use EKS Pod Identity, never the node role),
 *   encrypted gp3 root volume, no SSH key; node role with the two policies a node needs.
 * - Nodes carry only the network's workload security group; the control plane's group admits them (and the
 *   delivery runners' CIDRs) on 443, the workload group admits the control plane on kubelet and webhook ports.
 * - Add-ons pinned; vpc-cni enforces NetworkPolicies; the CloudWatch agent collects Container Insights only;
 *   vpc-cni, the CloudWatch agent, the cluster-autoscaler, the service and its migration Job get their own
 *   least-privilege roles through Pod Identity.
 */
export class Cluster extends Construct {
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  /** Base64 PEM of the cluster CA. */
  readonly clusterCertificateAuthority: string;
  readonly clusterArn: string;
  /** The EKS-created cluster security group (control plane ↔ nodes). */
  readonly clusterSecurityGroupId: string;
  readonly clusterVersion: string;
  readonly oidcIssuerUrl: string;
  /** CMK that envelope-encrypts Kubernetes secrets. */
  readonly secretsKeyArn: string;
  readonly nodeGroupNames: string[];
  /** One Auto Scaling group name per node group, in the order of `nodeGroups`. */
  readonly nodeGroupAsgNames: string[];
  readonly nodeRoleArn: string;
  readonly ecrRepositoryUrl: string;
  readonly ecrRepositoryArn: string;
  readonly ecrRepositoryName: string;
  /** Pod identity role of the service; its permissions are attached where the data layer's ARNs are known. */
  readonly serviceRoleArn: string;
  readonly serviceRoleName: string;
  readonly serviceAccountName: string;
  readonly serviceNamespace: string;
  /** Pod identity role of the migration Job: reads the database master secret (attached where the data layer's ARN is known). */
  readonly migrationRoleArn: string;
  readonly migrationRoleName: string;
  readonly migrationServiceAccountName: string;
  readonly clusterAutoscalerRoleArn: string;
  readonly clusterAutoscalerServiceAccount = CLUSTER_AUTOSCALER_SERVICE_ACCOUNT;
  readonly controlPlaneLogGroupName: string;
  /** Container Insights log groups (`/aws/containerinsights/<cluster>/<kind>`), created here encrypted with retention. */
  readonly containerInsightsLogGroupNames: string[];
  /**
   * `/aws/containerinsights/<cluster>/application`: where Fluent Bit (CloudWatch Observability add-on) writes the
   * containers' logs. A token of the log group created here, so consumers reference it (and wait for it).
   */
  readonly applicationLogGroupName: string;
  /** The sum of the node groups' `maxSize`: the most nodes the cluster-autoscaler can run (known at synth time). */
  readonly maxNodeCount: number;
  /** The EKS add-ons, by add-on name. */
  readonly addons: Record<string, EksAddon> = {};
  /** The settings in force (defaults filled in); `settings.charts` is what ServiceWorkloads installs. */
  readonly settings: ResolvedComputeSettings;

  constructor(scope: Construct, id: string, props: ClusterProps) {
    super(scope, id);
    const s = parseSettings(computeSettings, props.settings, `Cluster ${this.node.path}`);
    this.settings = s;
    const name = props.clusterName;
    const versions = s.addons;
    const retention = s.logRetentionDays;
    const publicCidrs = [...s.endpointPublicAccessCidrs];
    this.maxNodeCount = s.nodeGroups.reduce((sum, g) => sum + g.maxSize, 0);
    this.serviceNamespace = props.serviceNamespace;
    this.serviceAccountName = props.serviceAccountName;
    this.migrationServiceAccountName = props.migrationServiceAccountName ?? `${this.serviceAccountName}-migrate`;
    if (this.migrationServiceAccountName === this.serviceAccountName) throw new Error(`Cluster ${this.node.path}: the migration Job needs a service account of its own, got "${this.serviceAccountName}" for both`);

    const partition = new DataAwsPartition(this, 'partition').partition;
    const region = new DataAwsRegion(this, 'region').region;
    const account = new DataAwsCallerIdentity(this, 'caller').accountId;
    const arnPrefix = (service: string) => `arn:${partition}:${service}:${region}:${account}`;
    const accountRoot = `arn:${partition}:iam::${account}:root`;
    const managedPolicy = (p: string) => `arn:${partition}:iam::aws:policy/${p}`;
    // Built from the name, not the resource, so pod identity trust policies do not wait for the cluster.
    const clusterArnFromName = `${arnPrefix('eks')}:cluster/${name}`;

    // ---- Keys ---------------------------------------------------------------------------------------------
    // Key policies delegate to IAM: only principals whose IAM policies name the key can use it.
    const keyPolicy = policyJson([{ Sid: 'AccountAdministersThroughIam', Effect: 'Allow', Principal: { AWS: accountRoot }, Action: 'kms:*', Resource: '*' }]);
    const secretsKey = new KmsKey(this, 'secrets-key', {
      description: `${name}: envelope encryption of Kubernetes secrets`,
      enableKeyRotation: true,
      deletionWindowInDays: s.kmsDeletionWindowDays,
      policy: keyPolicy,
    });
    new KmsAlias(this, 'secrets-key-alias', { name: `alias/${name}-secrets`, targetKeyId: secretsKey.keyId });
    this.secretsKeyArn = secretsKey.arn;
    const imagesKey = new KmsKey(this, 'images-key', {
      description: `${name}: ECR image encryption`,
      enableKeyRotation: true,
      deletionWindowInDays: s.kmsDeletionWindowDays,
      policy: keyPolicy,
    });
    new KmsAlias(this, 'images-key-alias', { name: `alias/${name}-images`, targetKeyId: imagesKey.keyId });

    // ---- ECR ----------------------------------------------------------------------------------------------
    const repo = new EcrRepository(this, 'repository', {
      name: props.repositoryName,
      imageTagMutability: 'IMMUTABLE', // a tag (the commit SHA) always means the same image: what was tested is what runs
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'KMS', kmsKey: imagesKey.arn }],
      forceDelete: false,
    });
    new EcrLifecyclePolicy(this, 'repository-lifecycle', {
      repository: repo.name,
      policy: JSON.stringify({
        rules: [
          { rulePriority: 1, description: 'Untagged layers of failed pushes go after 7 days', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } },
          // Keep enough tags to roll back across every environment's recent deploys.
          { rulePriority: 10, description: `Keep the newest ${s.ecrMaxImages} images`, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: s.ecrMaxImages }, action: { type: 'expire' } },
        ],
      }),
    });
    this.ecrRepositoryUrl = repo.repositoryUrl;
    this.ecrRepositoryArn = repo.arn;
    this.ecrRepositoryName = repo.name;

    // ---- Cluster role and control plane -------------------------------------------------------------------
    // Cluster role: EKS documents aws:SourceArn / aws:SourceAccount for eks.amazonaws.com
    // (https://docs.aws.amazon.com/eks/latest/userguide/cross-service-confused-deputy-prevention.html).
    const clusterTrust = new DataAwsIamPolicyDocument(this, 'cluster-trust', {
      statement: [
        {
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          principals: [{ type: 'Service', identifiers: ['eks.amazonaws.com'] }],
          condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [account] }],
        },
      ],
    });
    const clusterRole = new IamRole(this, 'cluster-role', { name: `${name}-cluster`, assumeRolePolicy: clusterTrust.json });
    const clusterPolicy = new IamRolePolicyAttachment(this, 'cluster-policy', { role: clusterRole.name, policyArn: managedPolicy('AmazonEKSClusterPolicy') });
    const clusterKms = new IamRolePolicy(this, 'cluster-kms', {
      role: clusterRole.id,
      name: 'envelope-encryption',
      policy: new DataAwsIamPolicyDocument(this, 'cluster-kms-doc', {
        statement: [{ actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ListGrants', 'kms:DescribeKey'], resources: [secretsKey.arn] }],
      }).json,
    });

    // EKS would create this group on first log line, unencrypted and kept forever; creating it first prevents that.
    const controlPlaneLogs = new CloudwatchLogGroup(this, 'control-plane-logs', { name: `/aws/eks/${name}/cluster`, retentionInDays: retention, kmsKeyId: props.logsKeyArn });
    this.controlPlaneLogGroupName = controlPlaneLogs.name;

    const cluster = new EksCluster(this, 'cluster', {
      name,
      version: s.kubernetesVersion,
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: props.privateSubnetIds,
        endpointPrivateAccess: true,
        // No CIDRs configured means no public endpoint at all, never "public to the world".
        endpointPublicAccess: publicCidrs.length > 0,
        ...(publicCidrs.length > 0 ? { publicAccessCidrs: publicCidrs } : {}),
      },
      accessConfig: { authenticationMode: 'API', bootstrapClusterCreatorAdminPermissions: false },
      encryptionConfig: { resources: ['secrets'], provider: { keyArn: secretsKey.arn } },
      enabledClusterLogTypes: LOG_TYPES,
      // The add-ons below are EKS-managed and pinned; the self-managed defaults would be unmanaged duplicates.
      bootstrapSelfManagedAddons: false,
      upgradePolicy: { supportType: 'STANDARD' }, // extended support costs 6x: upgrading is the plan
      deletionProtection: s.deletionProtection,
      dependsOn: [clusterPolicy, clusterKms, controlPlaneLogs],
    });
    this.clusterName = cluster.name;
    this.clusterEndpoint = cluster.endpoint;
    this.clusterCertificateAuthority = cluster.certificateAuthority.get(0).data;
    this.clusterArn = cluster.arn;
    this.clusterSecurityGroupId = cluster.vpcConfig.clusterSecurityGroupId;
    this.clusterVersion = cluster.version;
    this.oidcIssuerUrl = cluster.identity.get(0).oidc.get(0).issuer;

    // ---- Who reaches the control plane, and what it reaches -------------------------------------------------
    // Nodes carry only the workload group (not EKS's cluster group, which is open to itself and to all egress):
    // the control plane's group admits them and the runners on 443, and the workload group admits the control
    // plane on the kubelet and webhook ports (EKS security group requirements; terraform-aws-modules/eks's set).
    const controlPlaneSg = cluster.vpcConfig.clusterSecurityGroupId;
    const controlPlaneFromNodes = new VpcSecurityGroupIngressRule(this, 'control-plane-from-nodes', {
      securityGroupId: controlPlaneSg,
      referencedSecurityGroupId: props.workloadSecurityGroupId,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'Kubernetes API from nodes and pods',
    });
    const controlPlaneFromRunners = s.endpointPrivateAccessCidrs.map(
      (cidr, i) =>
        new VpcSecurityGroupIngressRule(this, `control-plane-from-runners-${i}`, { securityGroupId: controlPlaneSg, cidrIpv4: cidr, ipProtocol: 'tcp', fromPort: 443, toPort: 443, description: 'Kubernetes API from the delivery runners' }),
    );
    const nodeIngressFromControlPlane = CONTROL_PLANE_TO_NODE_PORTS.map(
      (port) =>
        new VpcSecurityGroupIngressRule(this, `nodes-from-control-plane-${port}`, {
          securityGroupId: props.workloadSecurityGroupId,
          referencedSecurityGroupId: controlPlaneSg,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          description: port === 10250 ? 'kubelet from the control plane' : 'Webhooks and aggregated APIs from the control plane',
        }),
    );

    // ---- Access entries -----------------------------------------------------------------------------------
    const access = (kind: 'admin', arns: readonly string[], policy: string, scope: { type: string; namespaces?: string[] }) =>
      arns.forEach((principalArn, i) => {
        const entry = new EksAccessEntry(this, `${kind}-access-${i}`, { clusterName: cluster.name, principalArn, type: 'STANDARD' });
        new EksAccessPolicyAssociation(this, `${kind}-access-policy-${i}`, {
          clusterName: cluster.name,
          principalArn: entry.principalArn,
          policyArn: `arn:${partition}:eks::aws:cluster-access-policy/${policy}`,
          accessScope: scope,
        });
      });
    access('admin', [...(props.adminRoleArns ?? []), ...(s.adminRoleArn ? [s.adminRoleArn] : [])], 'AmazonEKSClusterAdminPolicy', { type: 'cluster' });
    // A pull request's code plans with a view role: a group, no access policy. AmazonEKSViewPolicy would also read
    // pod logs (pods/log), AmazonEKSAdminViewPolicy every Secret; the workloads stack's Roles grant the group exactly
    // the kinds it manages (PlanReaderRbac).
    (props.viewRoleArns ?? []).forEach(
      (principalArn, i) => new EksAccessEntry(this, `view-access-${i}`, { clusterName: cluster.name, principalArn, type: 'STANDARD', kubernetesGroups: [props.viewGroup ?? PLAN_READER_GROUP] }),
    );

    // ---- Pod identity roles -------------------------------------------------------------------------------
    // Pod Identity sends no aws:SourceAccount/aws:SourceArn; its documented restriction is on the session tags it sets
    // (sts:TagSession): cluster ARN, namespace and service account
    // (https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html, pod-id-abac.html#pod-id-abac-tags).
    const podTrust = (key: string, namespace: string, serviceAccount: string) =>
      new DataAwsIamPolicyDocument(this, `${key}-trust`, {
        statement: [
          {
            actions: ['sts:AssumeRole', 'sts:TagSession'],
            principals: [{ type: 'Service', identifiers: ['pods.eks.amazonaws.com'] }],
            condition: [
              { test: 'StringEquals', variable: 'aws:RequestTag/eks-cluster-arn', values: [clusterArnFromName] },
              { test: 'StringEquals', variable: 'aws:RequestTag/kubernetes-namespace', values: [namespace] },
              { test: 'StringEquals', variable: 'aws:RequestTag/kubernetes-service-account', values: [serviceAccount] },
            ],
          },
        ],
      });
    const podRole = (key: string, who: { namespace: string; serviceAccount: string }, statements?: DataAwsIamPolicyDocumentStatement[], managed?: string) => {
      const role = new IamRole(this, `${key}-role`, { name: `${name}-${key}`, assumeRolePolicy: podTrust(key, who.namespace, who.serviceAccount).json });
      if (statements) {
        new IamRolePolicy(this, `${key}-policy`, { role: role.id, name: key, policy: new DataAwsIamPolicyDocument(this, `${key}-policy-doc`, { statement: statements }).json });
      }
      if (managed) new IamRolePolicyAttachment(this, `${key}-managed`, { role: role.name, policyArn: managedPolicy(managed) });
      return role;
    };

    // vpc-cni: the AWS policy is exactly the ENI/IP calls the CNI makes (IPv4 cluster).
    const cniRole = podRole('vpc-cni', { namespace: 'kube-system', serviceAccount: 'aws-node' }, undefined, 'AmazonEKS_CNI_Policy');

    const autoscalerRole = podRole('cluster-autoscaler', { namespace: 'kube-system', serviceAccount: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT }, [
      {
        sid: 'Discover',
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLaunchConfigurations',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:DescribeTags',
          'ec2:DescribeImages',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:GetInstanceTypesFromInstanceRequirements',
        ],
        resources: ['*'], // describe calls have no resource-level permissions
      },
      { sid: 'ReadNodeGroups', actions: ['eks:DescribeNodegroup'], resources: [`${arnPrefix('eks')}:nodegroup/${name}/*/*`] },
      {
        sid: 'ScaleOnlyThisClustersGroups',
        actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        resources: ['*'],
        // EKS tags the ASG of every managed node group with this key: the autoscaler cannot touch other groups.
        condition: [{ test: 'StringEquals', variable: `aws:ResourceTag/k8s.io/cluster-autoscaler/${name}`, values: ['owned'] }],
      },
    ]);
    this.clusterAutoscalerRoleArn = autoscalerRole.arn;

    const insightsArn = `${arnPrefix('logs')}:log-group:/aws/containerinsights/${name}/*`;
    const cloudwatchRole = podRole('cloudwatch-agent', { namespace: CLOUDWATCH_AGENT_NAMESPACE, serviceAccount: CLOUDWATCH_AGENT_SERVICE_ACCOUNT }, [
      { sid: 'Metrics', actions: ['cloudwatch:PutMetricData'], resources: ['*'], condition: [{ test: 'StringEquals', variable: 'cloudwatch:namespace', values: ['ContainerInsights', 'CWAgent'] }] },
      { sid: 'WriteContainerInsightsLogs', actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resources: [insightsArn, `${insightsArn}:*`] },
      { sid: 'Describe', actions: ['logs:DescribeLogGroups', 'ec2:DescribeTags', 'ec2:DescribeVolumes', 'ec2:DescribeInstances'], resources: ['*'] },
    ]);
    const insightsGroups = CONTAINER_INSIGHTS_GROUPS.map(
      (kind) => new CloudwatchLogGroup(this, `container-insights-${kind}`, { name: `/aws/containerinsights/${name}/${kind}`, retentionInDays: retention, kmsKeyId: props.logsKeyArn }),
    );
    this.containerInsightsLogGroupNames = insightsGroups.map((g) => g.name);
    this.applicationLogGroupName = insightsGroups[CONTAINER_INSIGHTS_GROUPS.indexOf('application')].name;

    // The service's role: trust only here; its permissions (uploads bucket, secrets, their keys) are attached by
    // ServiceWorkloads, which knows the data layer's ARNs (the cluster stack depends on the network only).
    const serviceRole = podRole('service', { namespace: this.serviceNamespace, serviceAccount: this.serviceAccountName });
    this.serviceRoleArn = serviceRole.arn;
    this.serviceRoleName = serviceRole.name;
    new EksPodIdentityAssociation(this, 'service-pod-identity', { clusterName: cluster.name, namespace: this.serviceNamespace, serviceAccount: this.serviceAccountName, roleArn: serviceRole.arn });
    // The migration Job's own role: the only one that may read the database master secret (attached by
    // ServiceWorkloads); the service's role gets IAM database authentication as its own user instead.
    const migrationRole = podRole('migration', { namespace: this.serviceNamespace, serviceAccount: this.migrationServiceAccountName });
    this.migrationRoleArn = migrationRole.arn;
    this.migrationRoleName = migrationRole.name;
    new EksPodIdentityAssociation(this, 'migration-pod-identity', { clusterName: cluster.name, namespace: this.serviceNamespace, serviceAccount: this.migrationServiceAccountName, roleArn: migrationRole.arn });
    new EksPodIdentityAssociation(this, 'cluster-autoscaler-pod-identity', { clusterName: cluster.name, namespace: 'kube-system', serviceAccount: CLUSTER_AUTOSCALER_SERVICE_ACCOUNT, roleArn: autoscalerRole.arn });

    // ---- Add-ons needed before nodes can become Ready -----------------------------------------------------
    const addon = (addonName: string, version: string, extra: Partial<ConstructorParameters<typeof EksAddon>[2]> = {}) => {
      const a = new EksAddon(this, `addon-${addonName}`, {
        clusterName: cluster.name,
        addonName,
        addonVersion: version,
        // The pinned configuration wins over drift made by hand inside the cluster.
        resolveConflictsOnCreate: 'OVERWRITE',
        resolveConflictsOnUpdate: 'OVERWRITE',
        ...extra,
      });
      this.addons[addonName] = a;
      return a;
    };
    const podIdentityAgent = addon('eks-pod-identity-agent', versions.podIdentityAgent);
    const vpcCni = addon('vpc-cni', versions.vpcCni, {
      podIdentityAssociation: [{ roleArn: cniRole.arn, serviceAccount: 'aws-node' }],
      configurationValues: JSON.stringify(VPC_CNI_CONFIG),
      dependsOn: [podIdentityAgent],
    });
    const kubeProxy = addon('kube-proxy', versions.kubeProxy);

    // ---- Nodes --------------------------------------------------------------------------------------------
    // The EKS node role page's trust policy has no condition: EC2 documents no confused-deputy keys for instance roles
    // (https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html).
    const nodeTrust = new DataAwsIamPolicyDocument(this, 'node-trust', {
      statement: [{ actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }] }],
    });
    const nodeRole = new IamRole(this, 'node-role', { name: `${name}-node`, assumeRolePolicy: nodeTrust.json });
    // Only what a node needs: join the cluster (incl. eks-auth for pod identity) and pull images. The CNI policy
    // sits on the vpc-cni pod identity role instead, so no pod can borrow it through the node.
    const nodePolicies = ['AmazonEKSWorkerNodePolicy', 'AmazonEC2ContainerRegistryPullOnly'].map(
      (p) => new IamRolePolicyAttachment(this, `node-${p}`, { role: nodeRole.name, policyArn: managedPolicy(p) }),
    );
    this.nodeRoleArn = nodeRole.arn;

    const groups = s.nodeGroups.map((g) => {
      const bottlerocket = g.amiType.startsWith('BOTTLEROCKET');
      const lt = new LaunchTemplate(this, `lt-${g.name}`, {
        name: `${name}-${g.name}`,
        description: `${name}: node group ${g.name}`,
        updateDefaultVersion: true,
        ebsOptimized: 'true',
        // IMDSv2 only, and hop limit 1 so containers cannot reach the node role's credentials (pods use Pod Identity).
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
        blockDeviceMappings: [
          {
            deviceName: bottlerocket ? '/dev/xvdb' : '/dev/xvda',
            ebs: { volumeSize: g.diskSizeGb, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' },
          },
        ],
        vpcSecurityGroupIds: [props.workloadSecurityGroupId],
        monitoring: { enabled: true },
        tagSpecifications: [
          { resourceType: 'instance', tags: { Name: `${name}-${g.name}` } },
          { resourceType: 'volume', tags: { Name: `${name}-${g.name}` } },
        ],
      });
      const ng = new EksNodeGroup(this, `node-group-${g.name}`, {
        clusterName: cluster.name,
        nodeGroupName: g.name,
        version: s.kubernetesVersion,
        nodeRoleArn: nodeRole.arn,
        subnetIds: props.privateSubnetIds,
        instanceTypes: [...g.instanceTypes],
        capacityType: g.capacityType,
        amiType: g.amiType,
        scalingConfig: { minSize: g.minSize, desiredSize: g.desiredSize, maxSize: g.maxSize },
        updateConfig: { maxUnavailablePercentage: g.maxUnavailablePercentage },
        launchTemplate: { id: lt.id, version: Token.asString(lt.latestVersion) },
        labels: { ...g.labels, 'awp/node-group': g.name },
        ...(g.taints.length ? { taint: g.taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect })) } : {}),
        nodeRepairConfig: { enabled: true },
        tags: {
          // cluster-autoscaler auto-discovery (EKS propagates them to the group's ASG as well).
          'k8s.io/cluster-autoscaler/enabled': 'true',
          [`k8s.io/cluster-autoscaler/${name}`]: 'owned',
        },
        // The cluster-autoscaler moves desired size between min and max; Terraform must not pull it back.
        lifecycle: { ignoreChanges: ['scaling_config[0].desired_size'] },
        // Every rule of the cluster security group first: nodes carry only the workload group, so
        // controlPlaneFromNodes is their only path to the private API; without it kubelets cannot register.
        dependsOn: [...nodePolicies, controlPlaneFromNodes, ...controlPlaneFromRunners, ...nodeIngressFromControlPlane, vpcCni, kubeProxy, podIdentityAgent],
      });
      return ng;
    });
    this.nodeGroupNames = groups.map((ng) => ng.nodeGroupName);
    this.nodeGroupAsgNames = groups.map((ng) => ng.resources.get(0).autoscalingGroups.get(0).name);

    // ---- Add-ons that need nodes to run on ----------------------------------------------------------------
    addon('coredns', versions.coredns, { dependsOn: groups });
    addon('amazon-cloudwatch-observability', versions.cloudwatchObservability, {
      podIdentityAssociation: [{ roleArn: cloudwatchRole.arn, serviceAccount: CLOUDWATCH_AGENT_SERVICE_ACCOUNT }],
      configurationValues: JSON.stringify(CLOUDWATCH_AGENT_CONFIG),
      dependsOn: [...groups, ...insightsGroups],
    });
  }
}
