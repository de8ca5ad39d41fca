import { Construct } from 'constructs';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultRouteTable } from '@cdktf/provider-aws/lib/default-route-table';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { DefaultNetworkAcl } from '@cdktf/provider-aws/lib/default-network-acl';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { parseSettings, planSubnets, policyJson, zoneNames } from '@awp/config';
import { networkSettings, type NetworkSettings, type ResolvedNetworkSettings } from './settings';

export interface NetworkProps {
  /** Prefix of every name (the environment, e.g. `prod`). */
  readonly namePrefix: string;
  /** The region's name: the default AZ names are `<region>a`, `b`, `c`… (settings.availabilityZones overrides them). */
  readonly region: string;
  /**
   * EKS cluster name: subnets get the `kubernetes.io/cluster/<name>` and load-balancer role tags.
   * @default no cluster tags
   */
  readonly clusterName?: string;
  /** The layer's settings (`networkSettings`, libs/network/src/settings.ts): documented there, with their defaults. */
  readonly settings: NetworkSettings;
}

/**
 * The network layer: a VPC over N availability zones with three tiers of subnets.
 *
 * - public: load balancers and NAT gateways (route to the internet gateway);
 * - private: EKS nodes and pods (egress through NAT; AWS APIs through endpoints);
 * - isolated: data stores (no route out at all, S3 through the gateway endpoint only).
 *
 * Flow logs go to a KMS-encrypted log group with retention; the default security group, route table and
 * network ACL are brought under management with no permissive rules. The workload security group is created
 * here so that the data layer can admit it before the cluster exists (see the stack graph in docs/architecture.md).
 */
export class Network extends Construct {
  readonly vpcId: string;
  readonly vpcCidr: string;
  /** AZ names, in the order the subnets are created. */
  readonly availabilityZones: string[];
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  readonly isolatedSubnetIds: string[];
  /** CIDRs of the private subnets (nodes and pods), known at synth time; NetworkPolicies and runner rules use them. */
  readonly privateSubnetCidrs: string[];
  /** CIDRs of the isolated subnets (PostgreSQL, Valkey), known at synth time. */
  readonly isolatedSubnetCidrs: string[];
  readonly privateRouteTableIds: string[];
  readonly isolatedRouteTableIds: string[];
  /**
   * Attach to EKS nodes/pods; the data layer admits it on 5432/6379, the edge layer's ALB reaches it. Its rules name
   * their ports: DNS and node ports inside the group, 443 out, 5432/6379 to the isolated subnets; the cluster stack
   * adds what the control plane needs (its security group is EKS's).
   */
  readonly workloadSecurityGroupId: string;
  /** Guards the interface endpoints (443 from the VPC). */
  readonly endpointSecurityGroupId: string;
  /** A CMK for CloudWatch Logs in this region; other layers encrypt their log groups with it. */
  readonly logsKeyArn: string;
  readonly flowLogGroupName: string;
  /** Public IPs of the NAT gateways (for allow-lists of third parties). */
  readonly natPublicIps: string[];
  /** The settings in force (defaults filled in). */
  readonly settings: ResolvedNetworkSettings;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const s = parseSettings(networkSettings, props.settings, `Network ${this.node.path}`);
    this.settings = s;
    const zones = zoneNames(props.region, s.azCount, s.availabilityZones);
    const azCount = zones.length;
    const natMode = s.natGateways;
    const plan = planSubnets(s.vpcCidr, azCount);
    if (typeof plan === 'string') throw new Error(`Network ${this.node.path}: vpcCidr ${s.vpcCidr}: ${plan}`); // the settings' own check says it first
    const name = (suffix: string) => `${props.namePrefix}-${suffix}`;

    const partition = new DataAwsPartition(this, 'partition');
    const region = new DataAwsRegion(this, 'region');
    const caller = new DataAwsCallerIdentity(this, 'caller');
    // Looks the pinned zones up (plan fails early on a name this account lacks) and keeps their order.
    new DataAwsAvailabilityZones(this, 'azs', {
      state: 'available',
      filter: [{ name: 'zone-name', values: [...zones] }],
      lifecycle: {
        postcondition: [
          {
            condition: `\${length(self.names) == ${azCount}}`,
            errorMessage: `Not every zone of ${zones.join(', ')} is available to this account; set network.availabilityZones.`,
          },
        ],
      },
    });

    // ---- Logs key: flow logs here, and every other layer's log groups --------------------------------
    const accountRoot = `arn:${partition.partition}:iam::${caller.accountId}:root`;
    const logsKeyPolicy = policyJson([
      { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: accountRoot }, Action: 'kms:*', Resource: '*' },
      {
        Sid: 'CloudWatchLogsUsesKeyForThisAccountsLogGroups',
        Effect: 'Allow',
        Principal: { Service: `logs.${region.region}.amazonaws.com` },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${partition.partition}:logs:${region.region}:${caller.accountId}:*` } },
      },
    ]);
    const logsKey = new KmsKey(this, 'logs-key', {
      description: `${props.namePrefix}: CloudWatch Logs encryption`,
      enableKeyRotation: true,
      deletionWindowInDays: s.kmsDeletionWindowDays,
      policy: logsKeyPolicy,
    });
    new KmsAlias(this, 'logs-key-alias', { name: `alias/${name('logs')}`, targetKeyId: logsKey.keyId });
    this.logsKeyArn = logsKey.arn;

    // ---- VPC and its defaults ---------------------------------------------------------------------------
    const vpc = new Vpc(this, 'vpc', {
      cidrBlock: s.vpcCidr,
      enableDnsHostnames: true, // interface endpoints' private DNS and EKS need both
      enableDnsSupport: true,
      tags: { Name: name('vpc') },
    });
    this.vpcId = vpc.id;
    this.vpcCidr = s.vpcCidr;
    // No rules at all: nothing may rely on the default group (CIS 5.4).
    new DefaultSecurityGroup(this, 'default-sg', { vpcId: vpc.id, ingress: [], egress: [], tags: { Name: name('default-do-not-use') } });
    new DefaultRouteTable(this, 'default-rt', { defaultRouteTableId: vpc.defaultRouteTableId, route: [], tags: { Name: name('default-unused') } });
    // The default NACL keeps AWS's allow-all (security groups do the filtering) but comes under management.
    new DefaultNetworkAcl(this, 'default-nacl', {
      defaultNetworkAclId: vpc.defaultNetworkAclId,
      ingress: [{ protocol: '-1', ruleNo: 100, action: 'allow', cidrBlock: '0.0.0.0/0', fromPort: 0, toPort: 0 }],
      egress: [{ protocol: '-1', ruleNo: 100, action: 'allow', cidrBlock: '0.0.0.0/0', fromPort: 0, toPort: 0 }],
      lifecycle: { ignoreChanges: ['subnet_ids'] },
      tags: { Name: name('default-nacl') },
    });

    // ---- Subnets ----------------------------------------------------------------------------------------
    const clusterTags = (role: 'elb' | 'internal-elb'): Record<string, string> =>
      props.clusterName ? { [`kubernetes.io/cluster/${props.clusterName}`]: 'shared', [`kubernetes.io/role/${role}`]: '1' } : {};
    const az = (i: number) => zones[i];
    const indices = [...Array(azCount).keys()];
    const publicSubnets = indices.map(
      (i) =>
        new Subnet(this, `public-${i}`, {
          vpcId: vpc.id,
          cidrBlock: plan.public[i],
          availabilityZone: az(i),
          mapPublicIpOnLaunch: false, // ALBs and NAT gateways get public addresses without it
          tags: { Name: name(`public-${i}`), Tier: 'public', ...clusterTags('elb') },
        }),
    );
    const privateSubnets = indices.map(
      (i) =>
        new Subnet(this, `private-${i}`, {
          vpcId: vpc.id,
          cidrBlock: plan.private[i],
          availabilityZone: az(i),
          tags: { Name: name(`private-${i}`), Tier: 'private', ...clusterTags('internal-elb') },
        }),
    );
    const isolatedSubnets = indices.map(
      (i) =>
        new Subnet(this, `isolated-${i}`, {
          vpcId: vpc.id,
          cidrBlock: plan.isolated[i],
          availabilityZone: az(i),
          tags: { Name: name(`isolated-${i}`), Tier: 'isolated' },
        }),
    );
    this.availabilityZones = indices.map((i) => az(i));
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.isolatedSubnetIds = isolatedSubnets.map((s) => s.id);
    this.privateSubnetCidrs = [...plan.private];
    this.isolatedSubnetCidrs = [...plan.isolated];

    // ---- Internet gateway, NAT, routes ------------------------------------------------------------------
    const igw = new InternetGateway(this, 'igw', { vpcId: vpc.id, tags: { Name: name('igw') } });
    const publicRt = new RouteTable(this, 'public-rt', { vpcId: vpc.id, tags: { Name: name('public') } });
    new Route(this, 'public-default', { routeTableId: publicRt.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: igw.id });
    publicSubnets.forEach((s, i) => new RouteTableAssociation(this, `public-rta-${i}`, { subnetId: s.id, routeTableId: publicRt.id }));

    const natCount = natMode === 'perAz' ? azCount : 1;
    const nats = [...Array(natCount).keys()].map((i) => {
      const eip = new Eip(this, `nat-eip-${i}`, { domain: 'vpc', tags: { Name: name(`nat-${i}`) }, dependsOn: [igw] });
      return { eip, nat: new NatGateway(this, `nat-${i}`, { allocationId: eip.id, subnetId: publicSubnets[i].id, tags: { Name: name(`nat-${i}`) }, dependsOn: [igw] }) };
    });
    this.natPublicIps = nats.map((n) => n.eip.publicIp);

    const privateRts = privateSubnets.map((s, i) => {
      const rt = new RouteTable(this, `private-rt-${i}`, { vpcId: vpc.id, tags: { Name: name(`private-${i}`) } });
      // Each AZ uses its own NAT gateway when there is one per AZ, so an AZ outage stays in that AZ.
      new Route(this, `private-default-${i}`, { routeTableId: rt.id, destinationCidrBlock: '0.0.0.0/0', natGatewayId: nats[natMode === 'perAz' ? i : 0].nat.id });
      new RouteTableAssociation(this, `private-rta-${i}`, { subnetId: s.id, routeTableId: rt.id });
      return rt;
    });
    const isolatedRts = isolatedSubnets.map((s, i) => {
      // No default route: the data tier cannot reach or be reached from the internet.
      const rt = new RouteTable(this, `isolated-rt-${i}`, { vpcId: vpc.id, tags: { Name: name(`isolated-${i}`) } });
      new RouteTableAssociation(this, `isolated-rta-${i}`, { subnetId: s.id, routeTableId: rt.id });
      return rt;
    });
    this.privateRouteTableIds = privateRts.map((r) => r.id);
    this.isolatedRouteTableIds = isolatedRts.map((r) => r.id);

    // ---- Flow logs --------------------------------------------------------------------------------------
    const flowLogGroup = new CloudwatchLogGroup(this, 'flow-logs', {
      name: `/aws/vpc/${name('vpc')}/flow-logs`,
      retentionInDays: s.flowLogRetentionDays,
      kmsKeyId: logsKey.arn,
    });
    this.flowLogGroupName = flowLogGroup.name;
    const flowTrust = new DataAwsIamPolicyDocument(this, 'flow-logs-trust', {
      statement: [
        {
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['vpc-flow-logs.amazonaws.com'] }],
          // Confused-deputy guard: only flow logs of this account may use the role.
          condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [caller.accountId] }],
        },
      ],
    });
    const flowRole = new IamRole(this, 'flow-logs-role', { name: name('vpc-flow-logs'), assumeRolePolicy: flowTrust.json });
    const flowWrite = new DataAwsIamPolicyDocument(this, 'flow-logs-write', {
      statement: [
        {
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [flowLogGroup.arn, `${flowLogGroup.arn}:*`],
        },
      ],
    });
    new IamRolePolicy(this, 'flow-logs-policy', { role: flowRole.id, name: 'write-flow-logs', policy: flowWrite.json });
    new FlowLog(this, 'flow-log', {
      vpcId: vpc.id,
      trafficType: s.flowLogTrafficType,
      logDestinationType: 'cloud-watch-logs',
      logDestination: flowLogGroup.arn,
      iamRoleArn: flowRole.arn,
      maxAggregationInterval: s.flowLogAggregationSeconds,
      tags: { Name: name('vpc-flow-log') },
    });

    // ---- Security groups --------------------------------------------------------------------------------
    // name_prefix, not name: both are replaced create-before-destroy, and a fixed name would collide (AWP-GEN-003).
    const workload = new SecurityGroup(this, 'workload-sg', {
      namePrefix: `${name('workload')}-`,
      description: `${props.namePrefix}: EKS nodes and pods of the workloads`,
      vpcId: vpc.id,
      tags: { Name: name('workload') },
      lifecycle: { createBeforeDestroy: true },
    });
    // Nodes carry only this group (not EKS's all-open cluster group), so its rules are the whole story. Inside the
    // group: DNS to CoreDNS on any node, and the unprivileged ports pods and kubelets listen on (the node-to-node set
    // of terraform-aws-modules/eks). NetworkPolicies (workloads stack) narrow pod traffic further.
    const self = (key: string, ipProtocol: string, from: number, to: number, description: string) => {
      new VpcSecurityGroupIngressRule(this, `workload-self-${key}-in`, { securityGroupId: workload.id, referencedSecurityGroupId: workload.id, ipProtocol, fromPort: from, toPort: to, description });
      new VpcSecurityGroupEgressRule(this, `workload-self-${key}-out`, { securityGroupId: workload.id, referencedSecurityGroupId: workload.id, ipProtocol, fromPort: from, toPort: to, description });
    };
    self('dns-tcp', 'tcp', 53, 53, 'CoreDNS (TCP) between nodes');
    self('dns-udp', 'udp', 53, 53, 'CoreDNS (UDP) between nodes');
    self('ephemeral', 'tcp', 1025, 65535, 'Pod-to-pod and kubelet (10250) ports between nodes');
    // Out: HTTPS only (AWS APIs through the endpoints, S3 through the gateway endpoint, ECR and registry.k8s.io,
    // an OIDC issuer's JWKS through NAT); the data stores on their ports in the isolated subnets. The Amazon DNS
    // server, the instance metadata service and Time Sync are not filtered by security groups.
    new VpcSecurityGroupEgressRule(this, 'workload-egress-https', { securityGroupId: workload.id, cidrIpv4: '0.0.0.0/0', ipProtocol: 'tcp', fromPort: 443, toPort: 443, description: 'HTTPS: AWS APIs, registries, OIDC JWKS' });
    plan.isolated.forEach((cidr, i) => {
      for (const [port, what] of [[5432, 'PostgreSQL'], [6379, 'Valkey']] as const) {
        new VpcSecurityGroupEgressRule(this, `workload-egress-${port}-${i}`, { securityGroupId: workload.id, cidrIpv4: cidr, ipProtocol: 'tcp', fromPort: port, toPort: port, description: `${what} in isolated subnet ${i}` });
      }
    });
    this.workloadSecurityGroupId = workload.id;

    const endpointSg = new SecurityGroup(this, 'endpoint-sg', {
      namePrefix: `${name('vpc-endpoints')}-`,
      description: `${props.namePrefix}: interface VPC endpoints (HTTPS from the VPC)`,
      vpcId: vpc.id,
      tags: { Name: name('vpc-endpoints') },
      lifecycle: { createBeforeDestroy: true },
    });
    new VpcSecurityGroupIngressRule(this, 'endpoint-https', {
      securityGroupId: endpointSg.id,
      cidrIpv4: s.vpcCidr,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'HTTPS from inside the VPC',
    });
    this.endpointSecurityGroupId = endpointSg.id;

    // ---- Endpoints --------------------------------------------------------------------------------------
    // Endpoint policies keep the VPC from being a path out for somebody else's credentials or buckets: stolen or
    // foreign keys used from a pod get nothing through the endpoints, and S3 reaches only this account's buckets
    // plus the two AWS-owned buckets image pulls read from (ECR layers; registry.k8s.io redirects AWS clients to S3).
    const account = caller.accountId;
    const s3Policy = policyJson([
      { Sid: 'ThisAccountsBuckets', Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*', Condition: { StringEquals: { 'aws:ResourceAccount': account } } },
      { Sid: 'EcrImageLayers', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:${partition.partition}:s3:::prod-${region.region}-starport-layer-bucket/*` },
      { Sid: 'RegistryK8sIoImageLayers', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:${partition.partition}:s3:::prod-registry-k8s-io-${region.region}/*` },
    ]);
    new VpcEndpoint(this, 'endpoint-s3', {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${region.region}.s3`,
      vpcEndpointType: 'Gateway',
      // Gateway endpoints are free: ECR layers and the data tier's S3 traffic stay off the NAT gateways.
      routeTableIds: [...this.privateRouteTableIds, ...this.isolatedRouteTableIds],
      policy: s3Policy,
      tags: { Name: name('s3') },
    });
    const interfacePolicy = (svc: string) =>
      policyJson([
        { Sid: 'ThisAccountsPrincipals', Effect: 'Allow', Principal: '*', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalAccount': account } } },
        // Web identity federation (self-hosted runners' GitHub OIDC) has no principal yet: allow it into this account's roles only.
        ...(svc === 'sts'
          ? [{ Sid: 'WebIdentityIntoThisAccount', Effect: 'Allow' as const, Principal: '*' as const, Action: 'sts:AssumeRoleWithWebIdentity', Resource: `arn:${partition.partition}:iam::${account}:role/*` }]
          : []),
      ]);
    for (const svc of s.interfaceEndpoints) {
      new VpcEndpoint(this, `endpoint-${svc.replace('.', '-')}`, {
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${region.region}.${svc}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: this.privateSubnetIds,
        securityGroupIds: [endpointSg.id],
        policy: interfacePolicy(svc),
        tags: { Name: name(svc) },
      });
    }
  }
}
