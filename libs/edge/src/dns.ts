import { Construct } from 'constructs';
import type { ITerraformDependable, TerraformProvider } from 'cdktf';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { Route53QueryLog } from '@cdktf/provider-aws/lib/route53-query-log';
import { Route53KeySigningKey } from '@cdktf/provider-aws/lib/route53-key-signing-key';
import { Route53HostedZoneDnssec } from '@cdktf/provider-aws/lib/route53-hosted-zone-dnssec';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { policyJson } from '@awp/config';
import type { HostedZoneSource } from './types';

export interface EdgeZoneProps {
  readonly namePrefix: string;
  readonly domainName: string;
  readonly hostedZone: HostedZoneSource;
  readonly usEast1Provider: TerraformProvider;
  /** Query log group (us-east-1, where Route 53 writes query logs); only used for a created zone. */
  readonly queryLogGroupArn: string;
  /** The log resource policy that admits Route 53 (query logging is refused without it). */
  readonly queryLogDependsOn: ITerraformDependable[];
  /** Sign the created zone with DNSSEC. */
  readonly dnssec: boolean;
  readonly accountId: string;
  readonly partition: string;
  readonly kmsDeletionWindowDays: number;
}

/**
 * The site's public hosted zone: created (with query logging and, by default, DNSSEC signing) or looked up.
 * A created zone must be delegated from its parent by hand: copy `nameServers` (and, with DNSSEC, the DS record
 * Route 53 shows for the key-signing key) into the parent zone.
 */
export class EdgeZone extends Construct {
  readonly zoneId: string;
  /** Name servers of a created zone (empty for a looked-up zone). */
  readonly nameServers: string[];
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: EdgeZoneProps) {
    super(scope, id);
    if (props.hostedZone.mode === 'lookup') {
      const zone = new DataAwsRoute53Zone(this, 'zone', { name: props.hostedZone.name, privateZone: false });
      this.zoneId = zone.zoneId;
      this.nameServers = [];
      this.created = false;
      return;
    }
    const zone = new Route53Zone(this, 'zone', {
      name: props.domainName,
      comment: `${props.namePrefix}: public zone of ${props.domainName} (managed by the edge stack)`,
      forceDestroy: false, // never delete records we did not create
    });
    this.zoneId = zone.zoneId;
    this.nameServers = zone.nameServers;
    this.created = true;
    new Route53QueryLog(this, 'query-log', { zoneId: zone.zoneId, cloudwatchLogGroupArn: props.queryLogGroupArn, dependsOn: props.queryLogDependsOn });

    if (props.dnssec) {
      // Route 53 DNSSEC needs an asymmetric ECC P-256 signing key in us-east-1 that only Route 53 may use to sign.
      const keyPolicy = policyJson([
        { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: `arn:${props.partition}:iam::${props.accountId}:root` }, Action: 'kms:*', Resource: '*' },
        {
          Sid: 'Route53DnssecSigns',
          Effect: 'Allow',
          Principal: { Service: 'dnssec-route53.amazonaws.com' },
          Action: ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': props.accountId }, ArnLike: { 'aws:SourceArn': `arn:${props.partition}:route53:::hostedzone/*` } },
        },
        {
          Sid: 'Route53DnssecGrants',
          Effect: 'Allow',
          Principal: { Service: 'dnssec-route53.amazonaws.com' },
          Action: 'kms:CreateGrant',
          Resource: '*',
          Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
        },
      ]);
      const key = new KmsKey(this, 'dnssec-key', {
        provider: props.usEast1Provider,
        description: `${props.namePrefix}: DNSSEC key-signing key of ${props.domainName}`,
        customerMasterKeySpec: 'ECC_NIST_P256',
        keyUsage: 'SIGN_VERIFY',
        deletionWindowInDays: props.kmsDeletionWindowDays,
        policy: keyPolicy,
      });
      const ksk = new Route53KeySigningKey(this, 'ksk', {
        hostedZoneId: zone.id,
        keyManagementServiceArn: key.arn,
        name: `${props.namePrefix.replace(/[^A-Za-z0-9_]/g, '_')}_ksk`,
      });
      new Route53HostedZoneDnssec(this, 'dnssec', { hostedZoneId: ksk.hostedZoneId, dependsOn: [ksk] });
    }
  }
}
