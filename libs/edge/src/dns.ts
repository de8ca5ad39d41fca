import { Construct } from 'constructs';
import type { TerraformProvider } from 'cdktf';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { Route53QueryLog } from '@cdktf/provider-aws/lib/route53-query-log';
import { Route53KeySigningKey } from '@cdktf/provider-aws/lib/route53-key-signing-key';
import { Route53HostedZoneDnssec } from '@cdktf/provider-aws/lib/route53-hosted-zone-dnssec';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { parseSettings, policyJson } from '@awp/config';
import { edgeLayerSettings, type EdgeLayerSettings, type ResolvedEdgeLayerSettings } from './settings';
import { UsEast1Logs } from './us-east-1-logs';
import type { ZoneRef } from './types';

export interface SiteZoneProps {
  /**
   * The layers' settings (`edgeLayerSettings`, libs/edge/src/settings.ts: the environment file's `domain` and `edge`
   * sections), documented there with their defaults. This construct reads `domain` (`name`: the name of a created zone;
   * `hostedZone`: create it or look up an existing, delegated zone that contains it; `delegations`: child zones it
   * delegates) and `edge.dnssec`, `edge.logRetentionDays` (the query log group).
   */
  readonly settings: EdgeLayerSettings;
  /** Prefix of every name (the environment). */
  readonly namePrefix: string;
  /** The stack's aliased us-east-1 provider: query logs and the DNSSEC signing key live there. */
  readonly usEast1Provider: TerraformProvider;
  /**
   * Days before deleted KMS keys are gone for good.
   * @default 30
   */
  readonly kmsDeletionWindowDays?: number;
}

/**
 * TTL of the delegation records. An hour, not Route 53's two days for a zone's own NS records: a mistyped delegation
 * or DS record heals within the hour (the Route 53 DNSSEC guide recommends TTLs of at most an hour while a chain of
 * trust is set up: "Enabling DNSSEC signing and establishing a chain of trust", step 1).
 */
export const DELEGATION_TTL_SECONDS = 3600;

/**
 * The site's public hosted zone, the `dns` layer (docs/architecture.md → Stacks): created (with query logging and, by
 * default, DNSSEC signing) or looked up. It is its own stack, applied before the edge, because a created zone must be
 * delegated from its parent by hand before ACM can validate certificates through it: apply `<env>-dns`, copy
 * `nameServers` (the stack output `name_servers`) into an NS record for the domain in the parent zone, then apply the
 * rest. The edge layer refuses to plan until public DNS shows that delegation (`DelegationCheck`).
 */
export class SiteZone extends Construct {
  readonly zoneId: string;
  /** Name servers of a created zone; of a looked-up zone, the ones Route 53 lists for it. */
  readonly nameServers: string[];
  /** The zone's name (`domainName` when created, the looked-up name otherwise). */
  readonly zoneName: string;
  readonly created: boolean;
  /** What the edge layer takes (`EdgeProps.zone`): a created zone carries the name servers its delegation must show. */
  readonly ref: ZoneRef;
  /** A signed created zone's DS record value, for the parent zone (a child's `dsRecords` entry in its parent's delegations). */
  readonly dsRecord?: string;

  /** The settings in force (defaults filled in). */
  readonly settings: ResolvedEdgeLayerSettings;

  constructor(scope: Construct, id: string, props: SiteZoneProps) {
    super(scope, id);
    const { domain, edge } = (this.settings = parseSettings(edgeLayerSettings, props.settings, `SiteZone ${this.node.path}`));
    const domainName = domain.name;
    const hostedZone = domain.hostedZone;
    // The settings' rules hold already: delegations only from a created zone, a looked-up zone contains the name.
    if (hostedZone.mode === 'lookup') {
      const name = hostedZone.name.replace(/\.$/, '');
      const zone = new DataAwsRoute53Zone(this, 'zone', { name, privateZone: false });
      this.zoneId = zone.zoneId;
      this.nameServers = zone.nameServers;
      this.zoneName = name;
      this.created = false;
      // An existing zone is delegated already (the site may even be a record in its parent): nothing to check.
      this.ref = { zoneId: this.zoneId };
      return;
    }
    const partition = new DataAwsPartition(this, 'partition').partition;
    const accountId = new DataAwsCallerIdentity(this, 'caller').accountId;
    const kmsDeletionWindowDays = props.kmsDeletionWindowDays ?? 30;
    const logs = new UsEast1Logs(this, 'us-east-1-logs', {
      namePrefix: props.namePrefix,
      layer: 'dns',
      provider: props.usEast1Provider,
      retentionDays: edge.logRetentionDays,
      accountId,
      partition,
      kmsDeletionWindowDays,
      queryLogDomain: domainName,
    });
    const zone = new Route53Zone(this, 'zone', {
      name: domainName,
      comment: `${props.namePrefix}: public zone of ${domainName} (managed by the dns stack)`,
      forceDestroy: false, // never delete records we did not create
    });
    this.zoneId = zone.zoneId;
    this.nameServers = zone.nameServers;
    this.zoneName = domainName;
    this.created = true;
    this.ref = { zoneId: this.zoneId, delegatedNameServers: this.nameServers };
    for (const d of domain.delegations) {
      if (!d.nameServers) continue; // listed before the child's dns stack exists: nothing to delegate to yet
      // Route 53 Developer Guide, "Routing traffic for subdomains": the NS record for the subdomain's own hosted zone
      // goes into the parent domain's zone; the DS record beside it extends the DNSSEC chain of trust to the child.
      const id = d.name.slice(0, -(domainName.length + 1)).replace(/[^a-z0-9-]/g, '-');
      const ns = new Route53Record(this, `delegation-${id}-ns`, { zoneId: zone.zoneId, name: d.name, type: 'NS', ttl: DELEGATION_TTL_SECONDS, records: [...d.nameServers] });
      // Route 53 accepts a DS record only at a delegation point (an NS record of the same name): created after the
      // NS record, deleted before it (Route 53 Developer Guide → "DS record type").
      if (d.dsRecords) new Route53Record(this, `delegation-${id}-ds`, { zoneId: zone.zoneId, name: d.name, type: 'DS', ttl: DELEGATION_TTL_SECONDS, records: [...d.dsRecords], dependsOn: [ns] });
    }
    new Route53QueryLog(this, 'query-log', { zoneId: zone.zoneId, cloudwatchLogGroupArn: logs.queryLogGroup?.arn ?? '', dependsOn: [logs.deliveryPolicy] });

    if (edge.dnssec) {
      // Route 53 DNSSEC needs an asymmetric ECC P-256 signing key in us-east-1 that only Route 53 may use to sign.
      const keyPolicy = policyJson([
        { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' },
        {
          Sid: 'Route53DnssecSigns',
          Effect: 'Allow',
          Principal: { Service: 'dnssec-route53.amazonaws.com' },
          Action: ['kms:DescribeKey', 'kms:GetPublicKey', 'kms:Sign'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': accountId }, ArnLike: { 'aws:SourceArn': `arn:${partition}:route53:::hostedzone/*` } },
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
        description: `${props.namePrefix}: DNSSEC key-signing key of ${domainName}`,
        customerMasterKeySpec: 'ECC_NIST_P256',
        keyUsage: 'SIGN_VERIFY',
        deletionWindowInDays: kmsDeletionWindowDays,
        policy: keyPolicy,
      });
      const ksk = new Route53KeySigningKey(this, 'ksk', {
        hostedZoneId: zone.id,
        keyManagementServiceArn: key.arn,
        name: `${props.namePrefix.replace(/[^A-Za-z0-9_]/g, '_')}_ksk`,
      });
      new Route53HostedZoneDnssec(this, 'dnssec', { hostedZoneId: ksk.hostedZoneId, dependsOn: [ksk] });
      this.dsRecord = ksk.dsRecord;
    }
  }
}
