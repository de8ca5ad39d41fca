import { Construct } from 'constructs';
import { DataAwsEc2ManagedPrefixList } from '@cdktf/provider-aws/lib/data-aws-ec2-managed-prefix-list';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST, ORIGIN_VERIFY_HEADER } from './managed-policies';

export interface EdgeAlbProps {
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly publicSubnetIds: string[];
  readonly workloadSecurityGroupId: string;
  readonly certificateArn: string;
  readonly nodePort: number;
  readonly healthCheckPath: string;
  readonly deregistrationDelaySeconds: number;
  readonly deletionProtection: boolean;
  readonly accessLogsBucket: string;
  /** Accepted values of the origin header (the current one, and the previous one during a rotation). */
  readonly originSecretValues: string[];
  readonly sslPolicy: string;
}

/**
 * The internet-facing ALB that only CloudFront can use: its security group admits CloudFront's origin-facing
 * prefix list on 443 and nothing else, and even then only requests carrying the secret origin header are
 * forwarded (everything else gets the default 403).
 */
export class EdgeAlb extends Construct {
  readonly lb: Lb;
  readonly securityGroupId: string;
  readonly targetGroup: LbTargetGroup;
  readonly httpsListener: LbListener;
  readonly httpListener: LbListener;

  constructor(scope: Construct, id: string, props: EdgeAlbProps) {
    super(scope, id);
    const name = (s: string) => `${props.namePrefix}-${s}`.slice(0, 32);
    const cloudfront = new DataAwsEc2ManagedPrefixList(this, 'cloudfront-origin-facing', { name: CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST });

    const sg = new SecurityGroup(this, 'sg', {
      // A prefix, not a name: create-before-destroy replacements must not collide on the name.
      namePrefix: `${props.namePrefix}-edge-alb-`,
      description: `${props.namePrefix}: ALB, reachable only from CloudFront origin-facing addresses`,
      vpcId: props.vpcId,
      tags: { Name: `${props.namePrefix}-edge-alb` },
      lifecycle: { createBeforeDestroy: true },
    });
    this.securityGroupId = sg.id;
    // Only 443: the prefix list weighs ~55 rules against the 60-rule quota, so port 80 cannot be admitted as well;
    // CloudFront talks HTTPS only, the HTTP listener is a redirect-only safety net.
    new VpcSecurityGroupIngressRule(this, 'https-from-cloudfront', {
      securityGroupId: sg.id,
      prefixListId: cloudfront.id,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'HTTPS from CloudFront origin-facing servers',
    });
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
      internal: false,
      loadBalancerType: 'application',
      securityGroups: [sg.id],
      subnets: props.publicSubnetIds,
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

    this.httpsListener = new LbListener(this, 'https', {
      loadBalancerArn: this.lb.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy: props.sslPolicy,
      certificateArn: props.certificateArn,
      defaultAction: [{ type: 'fixed-response', fixedResponse: { contentType: 'text/plain', messageBody: 'Forbidden', statusCode: '403' } }],
    });
    this.httpListener = new LbListener(this, 'http', {
      loadBalancerArn: this.lb.arn,
      port: 80,
      protocol: 'HTTP',
      defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
    });
    new LbListenerRule(this, 'from-cloudfront', {
      listenerArn: this.httpsListener.arn,
      priority: 10,
      condition: [{ httpHeader: { httpHeaderName: ORIGIN_VERIFY_HEADER, values: props.originSecretValues } }],
      action: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
    });
  }
}
