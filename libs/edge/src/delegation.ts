import { Construct } from 'constructs';
import { TerraformDataSource, TerraformLocal, TerraformProvider, TerraformStack } from 'cdktf';

/** hashicorp/http, pinned like every provider of the platform (apps/infra/test/stacks.test.ts checks exact versions). */
export const HTTP_PROVIDER_VERSION = '3.5.0';

/**
 * Google Public DNS's JSON API (https://developers.google.com/speed/public-dns/docs/doh/json): a validating public
 * resolver, i.e. what ACM and the site's viewers see. Cloudflare's `https://cloudflare-dns.com/dns-query` answers the
 * same format.
 */
export const DEFAULT_DELEGATION_RESOLVER = 'https://dns.google/resolve';

/** The generic Terraform provider `hashicorp/http` (cdktf's TerraformProvider, no prebuilt package needed). */
export class HttpProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: 'http',
      terraformGeneratorMetadata: { providerName: 'http', providerVersion: HTTP_PROVIDER_VERSION },
      terraformProviderSource: 'hashicorp/http',
    });
  }
}

interface HttpGetConfig {
  readonly url: string;
  readonly requestHeaders: Record<string, string>;
  readonly postcondition: { condition: string; errorMessage: string };
}

/** `data "http"` (GET with retries): a response of any status, never an error for NXDOMAIN or a 5xx. */
class HttpGet extends TerraformDataSource {
  constructor(
    scope: Construct,
    id: string,
    private readonly config: HttpGetConfig,
  ) {
    super(scope, id, {
      terraformResourceType: 'http',
      terraformGeneratorMetadata: { providerName: 'http', providerVersion: HTTP_PROVIDER_VERSION },
      lifecycle: { postcondition: [config.postcondition] },
    });
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      url: this.config.url,
      request_headers: this.config.requestHeaders,
      retry: { attempts: 3, min_delay_ms: 1000, max_delay_ms: 5000 },
    };
  }
}

/** `shop.example.com` → `example.com`: the zone that must hold the delegation. */
export function parentDomain(domainName: string): string {
  return domainName.split('.').slice(1).join('.');
}

/**
 * The delegation test and its advice as Terraform expressions, over the HCL expressions `body` (a DNS JSON API answer)
 * and `expected` (a list of name servers). Exported so a test can evaluate them with a real Terraform CLI.
 */
export function delegationCondition(args: { body: string; expected: string; domainName: string; resolver: string; parentZone?: ParentZoneAdvice }): { condition: string; errorMessage: string } {
  const { body, expected, domainName, resolver, parentZone } = args;
  // NS answers (type 2) as lower-case names without the trailing dot, like Route 53 lists a zone's name servers.
  const observed = `toset([for a in try(jsondecode(${body}).Answer, []) : lower(trimsuffix(a.data, ".")) if try(a.type, 0) == 2])`;
  const wanted = `toset([for n in ${expected} : lower(trimsuffix(n, "."))])`;
  const status = `try(jsondecode(${body}).Status, "no answer")`;
  return {
    condition: `\${length(${wanted}) > 0 && length(setsubtract(${wanted}, ${observed})) == 0 && length(setsubtract(${observed}, ${wanted})) == 0}`,
    errorMessage:
      `The hosted zone ${domainName} is not delegated to its own name servers yet: public DNS (${resolver}) ` +
      `answers NS [\${join(", ", sort(${observed}))}] (DNS status \${${status}}). ` +
      (parentZone
        ? `Create an NS record named ${domainName} in its parent zone ${parentZone.zone} with the values \${join(", ", sort(${wanted}))} ` +
          `(the name_servers output of the dns stack): ${parentZone.howTo}; wait until \`dig NS ${domainName}\` shows them, then plan again. `
        : `Create an NS record named ${domainName} in its parent zone ${parentDomain(domainName)} (at its DNS host or registrar) with the values ` +
          `\${join(", ", sort(${wanted}))} (the name_servers output of the dns stack), wait until \`dig NS ${domainName}\` shows them, then plan again. `) +
      `ACM validates the site's certificates through this zone and cannot issue them before (with DNSSEC on, add the DS record only once the delegation works).`,
  };
}

/** Where the delegation of a zone inside another managed zone is written, for the check's message. */
export interface ParentZoneAdvice {
  /** The parent zone, e.g. `shop.example.com`. */
  readonly zone: string;
  /** How its NS records are created, e.g. "add them as nameServers of … in environments/prod.json, then apply prod-dns". */
  readonly howTo: string;
}

export interface DelegationCheckProps {
  /** The created zone's name (the site domain). */
  readonly domainName: string;
  /** The zone's own name servers (from the dns stack): the delegation must point at exactly these. */
  readonly nameServers: string[];
  /**
   * A DNS JSON API endpoint (`?name=&type=NS`, Google's format).
   * @default DEFAULT_DELEGATION_RESOLVER
   */
  readonly resolverUrl?: string;
  /**
   * The zone that must hold the delegation when it is managed elsewhere in code (another environment's created
   * zone): the message then says where to write it instead of "at its DNS host or registrar".
   * @default the parent domain, at its DNS host or registrar
   */
  readonly parentZone?: ParentZoneAdvice;
}

/**
 * A plan-time refusal, instead of an ACM validation that waits until the apply role's session ends, while a created
 * zone is not delegated: a `data "http"` reads the domain's NS records from a public DNS JSON API, and its
 * postcondition fails the plan with the NS records to create, and where, unless they are exactly the zone's own.
 *
 * Why not hashicorp/dns's `dns_ns_record_set`: it calls Go's `net.LookupNS` and fails with the resolver's own error
 * ("no such host") when the name does not resolve yet, which is exactly the case that needs the advice
 * (terraform-provider-dns internal/provider/data_dns_ns_record_set.go). A DNS JSON API answers NXDOMAIN with HTTP 200
 * and `"Status": 3`, so the postcondition always runs. No AWS call, no secret: the read-only plan role is not involved.
 */
export class DelegationCheck extends Construct {
  /** The test as an expression over the data source, for preconditions elsewhere (the certificate validations). */
  readonly precondition: { condition: string; errorMessage: string };

  constructor(scope: Construct, id: string, props: DelegationCheckProps) {
    super(scope, id);
    const stack = TerraformStack.of(this);
    const resolver = props.resolverUrl ?? DEFAULT_DELEGATION_RESOLVER;
    if (!/^https:\/\/[^\s?#]+$/.test(resolver)) throw new Error(`DelegationCheck ${this.node.path}: resolverUrl must be an https URL without a query, got "${resolver}"`);
    // One http provider per stack (it has no settings).
    if (!stack.node.tryFindChild('http')) new HttpProvider(stack, 'http');
    // A local holds the expected list, so the expression can name it whatever reference the token resolves to.
    const expected = new TerraformLocal(this, 'expected_name_servers', props.nameServers);
    const common = { expected: `local.${expected.friendlyUniqueId}`, domainName: props.domainName, resolver, parentZone: props.parentZone };
    const lookup = new HttpGet(this, 'ns', {
      url: `${resolver}?name=${encodeURIComponent(props.domainName)}&type=NS`,
      requestHeaders: { accept: 'application/dns-json' },
      postcondition: delegationCondition({ ...common, body: 'self.response_body' }),
    });
    this.precondition = delegationCondition({ ...common, body: `data.http.${lookup.friendlyUniqueId}.response_body` });
  }
}
