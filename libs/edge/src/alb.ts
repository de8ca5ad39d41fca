import { Construct } from 'constructs';
import { CloudfrontVpcOrigin } from '@cdktf/provider-aws/lib/cloudfront-vpc-origin';
import { DataAwsSecurityGroup } from '@cdktf/provider-aws/lib/data-aws-security-group';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { VPC_ORIGINS_SERVICE_SECURITY_GROUP } from './managed-policies';

export interface EdgeAlbProps {
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly vpcCidr: string;
  /** Private subnets (at least two AZs) the internal ALB and CloudFront's VPC-origin interfaces live in. */
  readonly subnetIds: string[];
  readonly workloadSecurityGroupId: string;
  readonly certificateArn: string;
  readonly nodePort: number;
  readonly healthCheckPath: string;
  readonly deregistrationDelaySeconds: number;
  readonly deletionProtection: boolean;
  readonly accessLogsBucket: string;
  readonly sslPolicy: string;
  /** Service paths the listener answers 404 for itself (the CloudFront Function already hides them). */
  readonly blockedPaths: readonly string[];
}

/** ALB path-pattern conditions take at most five values per rule. */
const PATTERNS_PER_RULE = 5;

/**
 * The service's ALB, reachable only through CloudFront: an INTERNAL load balancer in the private subnets, registered
 * as a CloudFront VPC origin (no public listener, no shared secret). Its security group admits HTTPS only from the
 * security group CloudFront puts on its VPC-origin network interfaces.
 *
 * AWS's rules (Developer Guide, "Restrict access with VPC origins"; "Use an Application Load Balancer"):
 * - the ALB is internal, Active before the VPC origin is created, in the origin's account, in private subnets with
 *   free IPv4 addresses, and the VPC has an internet gateway attached (the network layer's) although no origin
 *   traffic uses it;
 * - CloudFront creates `CloudFront-VPCOrigins-Service-SG` in the VPC with the first VPC origin; the origin's security
 *   group must admit it (admitting the VPC CIDR does not work: requests end in 504);
 * - with `https-only`, CloudFront validates the origin certificate against the origin domain name of the
 *   distribution (Host is not forwarded): the distribution names `origin.<domain>`, which the listener's regional
 *   ACM certificate covers.
 */
export class EdgeAlb extends Construct {
  readonly lb: Lb;
  readonly securityGroupId: string;
  readonly targetGroup: LbTargetGroup;
  readonly httpsListener: LbListener;
  readonly vpcOrigin: CloudfrontVpcOrigin;
  /** `aws_cloudfront_vpc_origin` id, for the distribution's `vpc_origin_config`. */
  readonly vpcOriginId: string;

  constructor(scope: Construct, id: string, props: EdgeAlbProps) {
    super(scope, id);
    const name = (s: string) => `${props.namePrefix}-${s}`.slice(0, 32);

    const sg = new SecurityGroup(this, 'sg', {
      // A prefix, not a name: create-before-destroy replacements must not collide on the name.
      namePrefix: `${props.namePrefix}-edge-alb-`,
      description: `${props.namePrefix}: internal ALB, reachable only from CloudFront VPC origins`,
      vpcId: props.vpcId,
      tags: { Name: `${props.namePrefix}-edge-alb` },
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = sg.id;
    new VpcSecurityGroupEgressRule(this, 'to-nodeport', {
      securityGroupId: sg.id,
      cidrIpv4: props.vpcCidr,
      ipProtocol: 'tcp',
      fromPort: props.nodePort,
      toPort: props.nodePort,
      description: 'To the service NodePort on the nodes (traffic and health checks)',
    });
    new VpcSecurityGroupIngressRule(this, 'workload-from-alb', {
      securityGroupId: props.workloadSecurityGroupId,
      referencedSecurityGroupId: sg.id,
      ipProtocol: 'tcp',
      fromPort: props.nodePort,
      toPort: props.nodePort,
      description: 'Service NodePort from the edge ALB',
    });

    this.lb = new Lb(this, 'alb', {
      name: name('edge'),
      internal: true,
      loadBalancerType: 'application',
      securityGroups: [sg.id],
      subnets: props.subnetIds,
      ipAddressType: 'ipv4',
      dropInvalidHeaderFields: true,
      desyncMitigationMode: 'strictest',
      enableDeletionProtection: props.deletionProtection,
      enableHttp2: true,
      idleTimeout: 60,
      accessLogs: { bucket: props.accessLogsBucket, prefix: `alb/${props.namePrefix}`, enabled: true },
      tags: { Name: name('edge') },
    });

    this.targetGroup = new LbTargetGroup(this, 'service', {
      // name_prefix (at most 6 characters): a replacement (e.g. a new NodePort) is created before the old group
      // is detached, which a fixed name would refuse.
      namePrefix: `${props.namePrefix.slice(0, 5)}-`,
      targetType: 'instance',
      port: props.nodePort,
      protocol: 'HTTP',
      protocolVersion: 'HTTP1',
      vpcId: props.vpcId,
      // The service drains for drainSeconds after SIGTERM; the ALB keeps in-flight requests a little longer.
      deregistrationDelay: String(props.deregistrationDelaySeconds),
      loadBalancingAlgorithmType: 'least_outstanding_requests', // evens out slow requests: better p99 than round robin
      healthCheck: {
        enabled: true,
        path: props.healthCheckPath,
        protocol: 'HTTP',
        port: 'traffic-port',
        matcher: '200',
        interval: 10,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      lifecycle: { createBeforeDestroy: true },
      tags: { Name: name('api') },
    });

    // The one listener: HTTPS, what the VPC origin speaks (https-only). No port 80: nothing could reach it.
    this.httpsListener = new LbListener(this, 'https', {
      loadBalancerArn: this.lb.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy: props.sslPolicy,
      certificateArn: props.certificateArn,
      defaultAction: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
    });
    // Defence in depth behind the CloudFront Function: the internal endpoints never leave the VPC through this
    // listener. ALB path patterns are case-sensitive; the function has already normalised case, slashes and escapes.
    const patterns = props.blockedPaths.flatMap((p) => [p, `${p}/*`]);
    for (let i = 0; i < patterns.length; i += PATTERNS_PER_RULE) {
      new LbListenerRule(this, `internal-paths-${i / PATTERNS_PER_RULE}`, {
        listenerArn: this.httpsListener.arn,
        priority: 10 + i / PATTERNS_PER_RULE,
        condition: [{ pathPattern: { values: patterns.slice(i, i + PATTERNS_PER_RULE) } }],
        action: [{ type: 'fixed-response', fixedResponse: { contentType: 'text/plain', messageBody: 'Not Found', statusCode: '404' } }],
      });
    }

    this.vpcOrigin = new CloudfrontVpcOrigin(this, 'vpc-origin', {
      vpcOriginEndpointConfig: [
        {
          name: name('api'),
          arn: this.lb.arn,
          httpPort: 80, // required by the API; unused with https-only
          httpsPort: 443,
          originProtocolPolicy: 'https-only',
          originSslProtocols: [{ items: ['TLSv1.2'], quantity: 1 }],
        },
      ],
      // Origin traffic only makes sense once the listener answers.
      dependsOn: [this.httpsListener],
      tags: { Name: name('api') },
    });
    this.vpcOriginId = this.vpcOrigin.id;

    // The group CloudFront creates with the VPC origin: read after the origin exists (deferred to apply on the first
    // deploy); ec2:DescribeSecurityGroups only, no secret, so the read-only plan role can read it.
    const cloudfrontSg = new DataAwsSecurityGroup(this, 'vpc-origins-service-sg', {
      name: VPC_ORIGINS_SERVICE_SECURITY_GROUP,
      vpcId: props.vpcId,
      dependsOn: [this.vpcOrigin],
    });
    new VpcSecurityGroupIngressRule(this, 'https-from-cloudfront', {
      securityGroupId: sg.id,
      referencedSecurityGroupId: cloudfrontSg.id,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'HTTPS from CloudFront VPC origins only',
    });
  }
}
