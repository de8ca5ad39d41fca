import { Construct } from 'constructs';
import { parseSettings, tlsOnlyBucketStatements } from '@awp/config';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { Route53HealthCheck } from '@cdktf/provider-aws/lib/route53-health-check';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { EdgeAlb } from './alb';
import { EdgeCdn } from './cdn';
import { DnsValidatedCertificate } from './certificates';
import { DelegationCheck, type ParentZoneAdvice } from './delegation';
import { UsEast1Logs } from './us-east-1-logs';
import { edgeLayerSettings, type EdgeLayerSettings, type ResolvedEdgeLayerSettings } from './settings';
import { EdgeWaf, wafRateLimitsOf } from './waf';
import type { BucketRef, UsEast1Provider, ZoneRef } from './types';

export interface EdgeProps {
  /**
   * The layer's settings (`edgeLayerSettings`, libs/edge/src/settings.ts: the environment file's `domain` and `edge`
   * sections), documented there with their defaults. `domain.name` is the site's DNS name, served by CloudFront.
   */
  readonly settings: EdgeLayerSettings;
  /** Prefix of every name (the environment, e.g. `prod`). */
  readonly namePrefix: string;
  /**
   * The site's public zone, from the dns layer (`SiteZone.ref`). With `delegatedNameServers` (a zone the dns layer
   * created) the stack refuses to plan until public DNS shows the zone delegated to exactly those name servers.
   */
  readonly zone: ZoneRef;
  /**
   * With a created zone inside another managed zone (another environment's): that zone and how its delegation is
   * written, for the delegation check's message.
   * @default the parent domain, at its DNS host or registrar
   */
  readonly delegationParentZone?: ParentZoneAdvice;
  /** The stack's aliased us-east-1 AWS provider (`PlatformStack.awsUsEast1`). */
  readonly usEast1Provider: UsEast1Provider;
  /** From the network layer. */
  readonly vpcId: string;
  readonly vpcCidr: string;
  /** Private subnets (two AZs or more): the internal ALB and CloudFront's VPC-origin network interfaces. */
  readonly privateSubnetIds: string[];
  /** The nodes' security group: gets an ingress rule from the ALB on the NodePort. */
  readonly workloadSecurityGroupId: string;
  /** From the data layer: the static assets bucket (CloudFront's default origin). */
  readonly assetsBucket: BucketRef;
  /** From the data layer: receives CloudFront standard logs (`cloudfront/<prefix>/`) and ALB access logs (`alb/<prefix>/`). */
  readonly logsBucket: BucketRef;
  /**
   * Statements added to the assets bucket policy (which this construct owns), e.g. the data layer's.
   * @default one statement denying every request not made over TLS
   */
  readonly assetsBucketPolicyStatements?: DataAwsIamPolicyDocumentStatement[];
  /**
   * From the data layer: the bucket the service's presigned uploads land in. CloudFront serves it under
   * `uploadsPathPrefix` (origin access control, a year of caching) and this construct writes its bucket policy.
   * @default none: no uploads origin, no uploads bucket policy
   */
  readonly uploadsBucket?: BucketRef;
  /**
   * Statements added to the uploads bucket policy (which this construct owns when `uploadsBucket` is set).
   * @default one statement denying every request not made over TLS
   */
  readonly uploadsBucketPolicyStatements?: DataAwsIamPolicyDocumentStatement[];
  /**
   * Public path prefix of uploaded objects: `<prefix>/<key>` serves the object `<key>` (a CloudFront Function strips
   * the prefix). The service's `CDN_BASE_URL` must be `uploadsBaseUrl` (`https://<domain><prefix>`).
   * @default '/uploads'
   */
  readonly uploadsPathPrefix?: string;
  /** The service's NodePort on the nodes (target group port). */
  readonly nodePort: number;
  /**
   * The service's readiness path (ALB target health).
   * @default '/readyz'
   */
  readonly readinessPath?: string;
  /**
   * The service's liveness path: routed through CloudFront to the ALB and probed by the Route 53 health check.
   * @default '/healthz'
   */
  readonly publicHealthPath?: string;
  /**
   * Seconds the ALB keeps a deregistering target (set to the service's drain time plus a margin).
   * @default 30
   */
  readonly deregistrationDelaySeconds?: number;
  /**
   * Paths limited like writes whatever the method (the strict `settings.edge.writeRateLimit`): `…/` prefixes match
   * STARTS_WITH, others EXACTLY. Load tests must come from several IPs (4 for 500 req/s with the defaults): README →
   * WAF rate limits.
   * @default []
   */
  readonly rateLimitSensitivePaths?: readonly string[];
  /**
   * Public path prefix of the API; CloudFront strips it before forwarding (`/api/v1/x` → `/v1/x`).
   * @default '/api'
   */
  readonly apiPathPrefix?: string;
  /**
   * Service paths never reachable through the API prefix (answered 404 by the CloudFront Function and the ALB).
   * @default ['/metrics', '/readyz']
   */
  readonly blockedApiPaths?: string[];
  /**
   * Path patterns of content-hashed assets, cached for a year.
   * @default ['/assets/*']
   */
  readonly hashedAssetPathPatterns?: string[];
  /**
   * Label of the ALB's DNS name under the site domain (CloudFront's API origin; the regional certificate's name).
   * @default 'origin'
   */
  readonly originSubdomain?: string;
  /**
   * ALB TLS policy.
   * @default 'ELBSecurityPolicy-TLS13-1-2-2021-06'
   */
  readonly sslPolicy?: string;
  /**
   * Days before the deleted WAF log key is gone for good.
   * @default 30
   */
  readonly deletionWindowDays?: number;
}


/**
 * The edge layer: records in the dns layer's zone, ACM, WAF, CloudFront and the internal ALB in front of the service.
 *
 * ```
 * viewer → Route 53 (A/AAAA alias) → CloudFront (WAF, TLSv1.2_2021) ─┬→ S3 assets (OAC)
 *                                                                   ├→ S3 uploads under /uploads/* (OAC)
 *                                                                   └→ VPC origin (origin.<domain>, HTTPS) → internal ALB
 *                                                                       (443 from CloudFront's VPC-origin group only) → NodePort
 * ```
 */
export class Edge extends Construct {
  readonly distributionId: string;
  readonly distributionArn: string;
  readonly distributionDomainName: string;
  readonly webAclArn: string;
  readonly webAclName: string;
  readonly albArn: string;
  readonly albArnSuffix: string;
  readonly albDnsName: string;
  readonly albSecurityGroupId: string;
  readonly targetGroupArn: string;
  readonly targetGroupArnSuffix: string;
  readonly hostedZoneId: string;
  readonly siteDomain: string;
  /** `https://<domain>`. */
  readonly cdnBaseUrl: string;
  /** `https://<domain><uploadsPathPrefix>`: the base of uploaded objects' URLs (the service's CDN_BASE_URL); only with `uploadsBucket`. */
  readonly uploadsBaseUrl?: string;
  /** `<originSubdomain>.<domain>`: the ALB's name (its certificate's), the API origin's domain name. */
  readonly originDomainName: string;
  /** The ALB's CloudFront VPC origin. */
  readonly vpcOriginId: string;
  readonly wafLogGroupName: string;
  readonly healthCheckId: string;
  /** Validated certificate ARNs: CloudFront's (us-east-1) and the ALB's (the stack's region). */
  readonly cloudfrontCertificateArn: string;
  readonly albCertificateArn: string;

  readonly waf: EdgeWaf;
  readonly alb: EdgeAlb;
  readonly cdn: EdgeCdn;
  /** Present when the zone was created by the dns layer (see `ZoneRef.delegatedNameServers`). */
  readonly delegation?: DelegationCheck;

  /** The settings in force (defaults filled in). */
  readonly settings: ResolvedEdgeLayerSettings;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const { domain, edge: s } = (this.settings = parseSettings(edgeLayerSettings, props.settings, `Edge ${this.node.path}`));
    const domainName = domain.name;
    const deletionWindowDays = props.deletionWindowDays ?? 30;
    const apiPathPrefix = props.apiPathPrefix ?? '/api';
    const publicHealthPath = props.publicHealthPath ?? '/healthz';
    const uploadsPathPrefix = props.uploadsPathPrefix ?? '/uploads';
    if (props.uploadsBucket && [apiPathPrefix, publicHealthPath, ...(props.hashedAssetPathPatterns ?? ['/assets/*'])].some((p) => p === uploadsPathPrefix || p.startsWith(`${uploadsPathPrefix}/`))) {
      throw new Error(`Edge ${this.node.path}: uploadsPathPrefix "${uploadsPathPrefix}" overlaps the API, health or hashed-asset paths`);
    }
    const partition = new DataAwsPartition(this, 'partition').partition;
    const accountId = new DataAwsCallerIdentity(this, 'caller').accountId;

    const logs = new UsEast1Logs(this, 'us-east-1-logs', {
      namePrefix: props.namePrefix,
      layer: 'edge',
      provider: props.usEast1Provider,
      retentionDays: s.logRetentionDays,
      accountId,
      partition,
      kmsDeletionWindowDays: deletionWindowDays,
      waf: true,
    });
    const wafLogGroup = logs.wafLogGroup as NonNullable<typeof logs.wafLogGroup>;

    // ---- Delegation and certificates ----------------------------------------------------------------
    const zoneId = props.zone.zoneId;
    if (props.zone.delegatedNameServers) {
      // A zone created by the dns stack: refuse to plan (with the NS records to create) until it is delegated,
      // instead of letting the certificate validations wait for DNS that nobody can resolve.
      this.delegation = new DelegationCheck(this, 'delegation', {
        domainName,
        nameServers: props.zone.delegatedNameServers,
        resolverUrl: domain.delegationResolverUrl,
        parentZone: props.delegationParentZone,
      });
    }
    const precondition = this.delegation?.precondition;
    this.originDomainName = `${props.originSubdomain ?? 'origin'}.${domainName}`;
    // CloudFront only takes certificates from us-east-1; the ALB only from its own region.
    const cdnCert = new DnsValidatedCertificate(this, 'cdn-certificate', { domainName, hostedZoneId: zoneId, provider: props.usEast1Provider, precondition });
    const albCert = new DnsValidatedCertificate(this, 'alb-certificate', { domainName: this.originDomainName, hostedZoneId: zoneId, precondition });
    this.cloudfrontCertificateArn = cdnCert.certificateArn;
    this.albCertificateArn = albCert.certificateArn;

    // ---- WAF, ALB, CloudFront ----------------------------------------------------------------------
    const blockedApiPaths = props.blockedApiPaths ?? ['/metrics', '/readyz'];
    this.waf = new EdgeWaf(this, 'waf', {
      namePrefix: props.namePrefix,
      provider: props.usEast1Provider,
      rateLimits: { ...wafRateLimitsOf(s), sensitivePaths: props.rateLimitSensitivePaths },
      botControl: s.botControl,
      maxRequestBodyBytes: s.maxRequestBodyBytes,
      apiUriPrefix: `${apiPathPrefix}/`,
      // Programs, not browsers, call these: Bot Control leaves them alone.
      nonBrowserPaths: [`${apiPathPrefix}/`, publicHealthPath, ...(props.uploadsBucket ? [`${uploadsPathPrefix}/`] : [])],
      logGroupArn: wafLogGroup.arn,
      logDependsOn: [logs.deliveryPolicy],
    });

    this.alb = new EdgeAlb(this, 'alb', {
      namePrefix: props.namePrefix,
      vpcId: props.vpcId,
      vpcCidr: props.vpcCidr,
      subnetIds: props.privateSubnetIds,
      workloadSecurityGroupId: props.workloadSecurityGroupId,
      certificateArn: albCert.certificateArn,
      nodePort: props.nodePort,
      healthCheckPath: props.readinessPath ?? '/readyz',
      deregistrationDelaySeconds: props.deregistrationDelaySeconds ?? 30,
      deletionProtection: s.deletionProtection,
      accessLogsBucket: props.logsBucket.name,
      sslPolicy: props.sslPolicy ?? 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      blockedPaths: blockedApiPaths,
    });
    // origin.<domain> → the internal ALB: the name the ALB's certificate carries and the distribution uses as the
    // API origin's domain name. It resolves to private addresses only, which nothing outside the VPC can reach.
    const originRecord = new Route53Record(this, 'origin-alias', {
      zoneId,
      name: this.originDomainName,
      type: 'A',
      alias: { name: this.alb.lb.dnsName, zoneId: this.alb.lb.zoneId, evaluateTargetHealth: true },
    });

    this.cdn = new EdgeCdn(this, 'cdn', {
      namePrefix: props.namePrefix,
      domainName,
      certificateArn: cdnCert.certificateArn,
      webAclArn: this.waf.webAclArn,
      assetsBucket: props.assetsBucket,
      assetsBucketPolicyStatements: props.assetsBucketPolicyStatements ?? tlsOnlyBucketStatements(props.assetsBucket.arn),
      uploads: props.uploadsBucket
        ? { bucket: props.uploadsBucket, policyStatements: props.uploadsBucketPolicyStatements ?? tlsOnlyBucketStatements(props.uploadsBucket.arn), pathPrefix: uploadsPathPrefix }
        : undefined,
      logsBucketName: props.logsBucket.name,
      // The record's fqdn (not the literal name): CloudFront is created after the name resolves.
      albOriginDomainName: originRecord.fqdn,
      albVpcOriginId: this.alb.vpcOriginId,
      priceClass: s.priceClass,
      apiPathPrefix,
      blockedApiPaths,
      servicePassThroughPaths: [publicHealthPath],
      hashedAssetPathPatterns: props.hashedAssetPathPatterns ?? ['/assets/*'],
    });
    const distribution = this.cdn.distribution;

    // ---- Site records and the public health check -------------------------------------------------
    for (const type of ['A', 'AAAA']) {
      new Route53Record(this, `site-${type.toLowerCase()}`, {
        zoneId,
        name: domainName,
        type,
        alias: { name: distribution.domainName, zoneId: distribution.hostedZoneId, evaluateTargetHealth: false },
      });
    }
    const health = new Route53HealthCheck(this, 'health-check', {
      type: 'HTTPS',
      fqdn: domainName,
      port: 443,
      resourcePath: publicHealthPath,
      enableSni: true,
      requestInterval: 30,
      failureThreshold: 3,
      measureLatency: true,
      tags: { Name: `${props.namePrefix}-site-health` },
    });

    this.distributionId = distribution.id;
    this.distributionArn = distribution.arn;
    this.distributionDomainName = distribution.domainName;
    this.webAclArn = this.waf.webAclArn;
    this.webAclName = this.waf.webAclName;
    this.albArn = this.alb.lb.arn;
    this.albArnSuffix = this.alb.lb.arnSuffix;
    this.albDnsName = this.alb.lb.dnsName;
    this.albSecurityGroupId = this.alb.securityGroupId;
    this.targetGroupArn = this.alb.targetGroup.arn;
    this.targetGroupArnSuffix = this.alb.targetGroup.arnSuffix;
    this.hostedZoneId = zoneId;
    this.siteDomain = domainName;
    this.cdnBaseUrl = `https://${domainName}`;
    this.uploadsBaseUrl = props.uploadsBucket ? `${this.cdnBaseUrl}${uploadsPathPrefix}` : undefined;
    this.vpcOriginId = this.alb.vpcOriginId;
    this.wafLogGroupName = wafLogGroup.name;
    this.healthCheckId = health.id;
  }
}
