import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { DEFAULT_DELEGATION_RESOLVER, DelegationCheck, delegationCondition, parentDomain, type ParentZoneAdvice } from './delegation';

type Json = Record<string, any>;

const ZONE_NS = ['ns-1536.awsdns-00.co.uk', 'ns-0.awsdns-00.com', 'ns-512.awsdns-00.net', 'ns-1024.awsdns-00.org'];

/** Terraform (or OpenTofu): the build machines have one on PATH (docs/architecture.md → Pitfalls). */
const cli = ['terraform', 'tofu'].find((c) => spawnSync(c, ['version'], { encoding: 'utf8' }).status === 0);

/**
 * Applies a provider-free configuration whose one `terraform_data` carries the check as its postcondition, with
 * `self.output` standing in for the data source's `self.response_body` (the same expressions, byte for byte otherwise).
 */
function runCheck(body: string, domainName = 'shop.example.com', parentZone?: ParentZoneAdvice): { ok: boolean; message: string } {
  if (!cli) throw new Error('terraform (or tofu) must be on PATH for this test: the delegation check is evaluated by a real Terraform');
  const { condition, errorMessage } = delegationCondition({ body: 'self.output', expected: 'local.expected', domainName, resolver: DEFAULT_DELEGATION_RESOLVER, parentZone });
  const dir = mkdtempSync(path.join(tmpdir(), 'awp-delegation-'));
  writeFileSync(
    path.join(dir, 'main.tf.json'),
    JSON.stringify({
      locals: { expected: ZONE_NS },
      resource: { terraform_data: { probe: { input: body, lifecycle: { postcondition: [{ condition, error_message: errorMessage }] } } } },
    }),
  );
  const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' };
  const init = spawnSync(cli, ['init', '-input=false', '-no-color'], { cwd: dir, encoding: 'utf8', env });
  if (init.status !== 0) throw new Error(`${cli} init failed: ${init.stderr}`);
  const apply = spawnSync(cli, ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: dir, encoding: 'utf8', env });
  rmSync(dir, { recursive: true, force: true });
  const text = `${apply.stdout}\n${apply.stderr}`;
  return { ok: apply.status === 0, message: text.replace(/\s*\n\s*/g, ' ') };
}

const google = (answers: { name?: string; type: number; data: string }[], status = 0) => JSON.stringify({ Status: status, TC: false, RD: true, RA: true, AD: false, CD: false, Question: [{ name: 'shop.example.com.', type: 2 }], Answer: answers });

describe('delegation check (evaluated by a real Terraform)', () => {
  it('passes when public DNS answers exactly the zone name servers (trailing dots and case do not matter)', () => {
    const body = google(ZONE_NS.map((ns, i) => ({ name: 'shop.example.com.', type: 2, data: `${i % 2 ? ns.toUpperCase() : ns}.` })));
    const r = runCheck(body);
    expect([r.ok, r.message]).toEqual([true, expect.stringContaining('Apply complete!')]);
  });

  it('refuses while the name does not resolve (NXDOMAIN), saying which NS records to create where', () => {
    const r = runCheck(JSON.stringify({ Status: 3, TC: false, Authority: [{ name: 'example.com.', type: 6, data: 'a.iana-servers.net. …' }] }));
    expect(r.ok).toBe(false);
    expect(r.message).toContain('Resource postcondition failed');
    expect(r.message).toContain('The hosted zone shop.example.com is not delegated to its own name servers yet: public DNS (https://dns.google/resolve) answers NS [] (DNS status 3).');
    expect(r.message).toContain(`Create an NS record named shop.example.com in its parent zone example.com (at its DNS host or registrar) with the values ${[...ZONE_NS].sort().join(', ')}`);
  });

  it('points at the environment file that delegates a zone inside another managed zone, not at a registrar', () => {
    const howTo = 'add these values as "nameServers" of { "name": "dev.shop.example.com" } in environments/prod.json (domain.delegations) and apply prod-dns by hand';
    const r = runCheck(JSON.stringify({ Status: 3, TC: false }), 'dev.shop.example.com', { zone: 'shop.example.com', howTo });
    expect(r.ok).toBe(false);
    expect(r.message).toContain(`Create an NS record named dev.shop.example.com in its parent zone shop.example.com with the values ${[...ZONE_NS].sort().join(', ')} (the name_servers output of the dns stack): ${howTo};`);
    expect(r.message).not.toContain('registrar');
  });

  it('refuses a delegation to other name servers (an old zone) and a partial one, naming what DNS answers', () => {
    const other = runCheck(google([{ type: 2, data: 'ns-9.awsdns-09.com.' }, { type: 2, data: 'ns-10.awsdns-10.net.' }]));
    expect(other.ok).toBe(false);
    expect(other.message).toContain('answers NS [ns-10.awsdns-10.net, ns-9.awsdns-09.com] (DNS status 0)');
    const partial = runCheck(google([{ type: 2, data: `${ZONE_NS[0]}.` }]));
    expect(partial.ok).toBe(false);
    expect(partial.message).toContain(`answers NS [${ZONE_NS[0]}]`);
  });

  it('counts only NS answers and refuses a body that is not a DNS JSON answer (SERVFAIL, an HTML error page)', () => {
    const cname = runCheck(google([{ type: 5, data: 'elsewhere.example.net.' }, ...ZONE_NS.map((ns) => ({ type: 46, data: `${ns}.` }))]));
    expect([cname.ok, cname.message.includes('answers NS []')]).toEqual([false, true]);
    const servfail = runCheck(JSON.stringify({ Status: 2, TC: false }));
    expect([servfail.ok, servfail.message.includes('(DNS status 2)')]).toEqual([false, true]);
    const html = runCheck('<html>502 Bad Gateway</html>');
    expect([html.ok, html.message.includes('(DNS status no answer)')]).toEqual([false, true]);
  });
});

describe('DelegationCheck (synthesized)', () => {
  const stack = new TerraformStack(Testing.app(), 'test');
  new DelegationCheck(stack, 'check', { domainName: 'shop.example.com', nameServers: ZONE_NS });
  const json = JSON.parse(Testing.synth(stack)) as Json;

  it('reads the NS records of the domain from the public resolver with hashicorp/http pinned, and refuses in a postcondition', () => {
    const [[name, data]] = Object.entries<Json>(json.data.http);
    expect(data.url).toBe('https://dns.google/resolve?name=shop.example.com&type=NS');
    expect(data.request_headers).toEqual({ accept: 'application/dns-json' });
    expect(data.retry).toEqual({ attempts: 3, min_delay_ms: 1000, max_delay_ms: 5000 });
    const [post] = data.lifecycle.postcondition as Json[];
    const expected = delegationCondition({ body: 'self.response_body', expected: `local.${Object.keys(json.locals)[0]}`, domainName: 'shop.example.com', resolver: DEFAULT_DELEGATION_RESOLVER });
    expect(post).toEqual({ condition: expected.condition, error_message: expected.errorMessage });
    expect(Object.values(json.locals)).toEqual([ZONE_NS]);
    expect(json.terraform.required_providers.http).toEqual({ source: 'hashicorp/http', version: '3.5.0' });
    expect(name).toMatch(/^check_ns_/);
  });

  it('refuses a resolver that is not https, and names the parent zone', () => {
    const s = new TerraformStack(Testing.app(), 'bad');
    expect(() => new DelegationCheck(s, 'check', { domainName: 'a.example.com', nameServers: [], resolverUrl: 'http://dns.google/resolve' })).toThrow(/resolverUrl must be an https URL/);
    expect(parentDomain('dev.shop.example.com')).toBe('shop.example.com');
  });
});
