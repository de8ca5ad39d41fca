import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import { PlatformStack } from '@awp/config';
import { type EnvironmentConfig } from '../environment';
import { SiteZone } from '@awp/edge';

/**
 * `<env>-dns`: the site's public hosted zone, applied first (docs/architecture.md → Stacks). With
 * `domain.hostedZone.mode: create` it creates the zone (query logs and DNSSEC in us-east-1) and prints the name
 * servers to delegate from the parent zone; the edge stack refuses to plan until that delegation is visible. With
 * `lookup` it only reads an existing, delegated zone, and every stack can be applied in one go.
 */
export function dnsStack(scope: Construct, env: EnvironmentConfig): { stack: PlatformStack; zone: SiteZone } {
  const stack = new PlatformStack(scope, { env, layer: 'dns' });
  const zone = new SiteZone(stack, 'zone', {
    // The sections pass through as they are. domain.delegations: child zones of other environments (prod's zone
    // delegates dev's and staging's), docs/first-deploy.md, section 4.
    settings: { domain: env.domain, edge: env.edge },
    namePrefix: env.name,
    usEast1Provider: stack.awsUsEast1,
  });
  // Named outputs for people: `terraform output name_servers` after the first apply is the delegation to create.
  new TerraformOutput(stack, 'zone_id', { value: zone.zoneId, description: 'Route 53 hosted zone of the site' });
  new TerraformOutput(stack, 'zone_name', { value: zone.zoneName });
  new TerraformOutput(stack, 'name_servers', {
    value: zone.nameServers,
    description: zone.created
      ? env.parentZone
        ? `Add these values as nameServers of ${env.domain.name} in ${env.parentZone.file} (domain.delegations) and apply ${env.parentZone.environment}-dns by hand before applying ${env.name}-edge`
        : `Create an NS record named ${env.domain.name} with these values in the parent zone before applying ${env.name}-edge`
      : 'Name servers of the looked-up zone (already delegated)',
  });
  if (zone.dsRecord) {
    new TerraformOutput(stack, 'ds_record', {
      value: zone.dsRecord,
      description: env.parentZone
        ? `DNSSEC: once the delegation works, add this value to dsRecords of ${env.domain.name} in ${env.parentZone.file} (domain.delegations) and apply ${env.parentZone.environment}-dns`
        : `DNSSEC: once the delegation works, create a DS record named ${env.domain.name} with this value in the parent zone`,
    });
  }
  return { stack, zone };
}
