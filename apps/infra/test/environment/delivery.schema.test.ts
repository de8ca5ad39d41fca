import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EKS_MAX_PUBLIC_ACCESS_CIDRS } from '@awp/compute';
import { isSelfHostedRunner, planRunnerProblems, planRunners, validateEnvironment } from '../../src/environment';

const ENV_DIR = path.resolve(__dirname, '../../../../environments');
const raw = (name: string) => JSON.parse(readFileSync(path.join(ENV_DIR, `${name}.json`), 'utf8'));

function problems(env: unknown): string[] {
  return validateEnvironment(env, 'environments/x.json').problems.map((p) => `${p.path}: ${p.message}`);
}

/** prod, reached through a public allow-list from self-hosted runners behind their NAT (a valid setup). */
function publicEndpoint(cidrs: string[]) {
  const env = raw('prod');
  env.compute.endpointPublicAccessCidrs = cidrs;
  env.compute.endpointPrivateAccessCidrs = [];
  return env;
}

describe('how the delivery runners reach the EKS API', () => {
  it('the committed environments use a private endpoint reached by self-hosted runners in their VPC', () => {
    for (const name of ['dev', 'staging', 'prod']) {
      const { config, problems: p } = validateEnvironment(raw(name), `environments/${name}.json`);
      expect(p).toEqual([]);
      expect(config!.compute.endpointPublicAccessCidrs).toEqual([]);
      expect(isSelfHostedRunner(config!.delivery.runsOn)).toBe(true);
      expect(config!.compute.endpointPrivateAccessCidrs.length).toBeGreaterThan(0);
    }
  });

  it('defaults runsOn to a GitHub-hosted runner, which the validation then holds to what it can reach', () => {
    const env = publicEndpoint(['52.94.76.10/32']);
    delete env.delivery;
    expect(problems(env)).toEqual([
      expect.stringMatching(/^delivery\.runsOn: standard GitHub-hosted runners \(\["ubuntu-24\.04"\]\)/),
      // prod: plan jobs default to the apply runners, which the tier refuses (below).
      expect.stringMatching(/^delivery\.runsOn: a plan job runs pull-request code/),
    ]);
  });

  it('accepts real public egress ranges of self-hosted runners', () => {
    expect(problems(publicEndpoint(['52.94.76.10/32', '3.248.0.0/24']))).toEqual([]);
  });

  it('refuses RFC 5737 documentation ranges, saying what to set', () => {
    for (const cidr of ['203.0.113.0/24', '198.51.100.7/32', '192.0.2.0/24']) {
      expect(problems(publicEndpoint([cidr]))).toEqual([
        expect.stringMatching(new RegExp(`^compute\\.endpointPublicAccessCidrs\\[0\\]: "${cidr.replace(/[./]/g, '\\$&')}" is a documentation range \\(RFC 5737 TEST-NET-\\d\\), a placeholder that matches no runner; set the static public egress IPs of your runners`)),
      ]);
    }
  });

  it('refuses the RFC 3849 IPv6 documentation prefix', () => {
    expect(problems(publicEndpoint(['2001:db8::/32']))).toEqual([expect.stringMatching(/^compute\.endpointPublicAccessCidrs\[0\]: "2001:db8::\/32" is a documentation range \(RFC 3849\)/)]);
    expect(problems(publicEndpoint(['2001:0DB8:1::/48']))[0]).toMatch(/RFC 3849/);
  });

  it('refuses private and other non-public ranges in the public allow-list', () => {
    expect(problems(publicEndpoint(['10.30.0.0/16', '100.64.1.0/24', '169.254.0.0/16']))).toEqual([
      expect.stringMatching(/^compute\.endpointPublicAccessCidrs\[0\]: "10\.30\.0\.0\/16" is a private range \(RFC 1918\): the public endpoint never sees such a source address; list runners inside the VPC in compute\.endpointPrivateAccessCidrs instead$/),
      expect.stringMatching(/^compute\.endpointPublicAccessCidrs\[1\]: "100\.64\.1\.0\/24" is carrier-grade NAT space \(RFC 6598\)/),
      expect.stringMatching(/^compute\.endpointPublicAccessCidrs\[2\]: "169\.254\.0\.0\/16" is link-local/),
    ]);
  });

  it('refuses 0.0.0.0/0', () => {
    expect(problems(publicEndpoint(['0.0.0.0/0']))).toEqual([expect.stringMatching(/^compute\.endpointPublicAccessCidrs\[0\]: "0\.0\.0\.0\/0" admits every address on the internet; set the static public egress IPs/)]);
  });

  it(`refuses more than EKS's ${EKS_MAX_PUBLIC_ACCESS_CIDRS} public CIDRs`, () => {
    const many = [...Array(EKS_MAX_PUBLIC_ACCESS_CIDRS + 1).keys()].map((i) => `52.94.${i}.0/24`);
    expect(problems(publicEndpoint(many))).toEqual([`compute.endpointPublicAccessCidrs: expected at most 40 CIDRs (EKS's fixed limit per cluster), got 41; use self-hosted runners behind a NAT gateway instead`]);
  });

  it('refuses a private-only endpoint with GitHub-hosted runners', () => {
    const env = raw('prod');
    env.delivery.runsOn = ['ubuntu-24.04'];
    expect(problems(env)).toEqual([
      'delivery.runsOn: GitHub-hosted runners (["ubuntu-24.04"]) cannot reach a private-only EKS endpoint (compute.endpointPublicAccessCidrs is empty): set the labels of self-hosted runners inside the VPC, e.g. ["self-hosted", "linux", "x64", "awp-prod"], or list their static egress IPs in compute.endpointPublicAccessCidrs',
    ]);
  });

  it('refuses a public allow-list for standard GitHub-hosted runners, which have no static IPs', () => {
    const env = publicEndpoint(['52.94.76.10/32']);
    env.delivery.runsOn = ['ubuntu-latest'];
    expect(problems(env)).toEqual([expect.stringMatching(/^delivery\.runsOn: standard GitHub-hosted runners \(\["ubuntu-latest"\]\) have no static egress IPs .* set the label of a GitHub larger runner with static IPs, or of self-hosted runners$/)]);
    env.delivery.runsOn = ['platform-static-ip']; // a larger runner with a static IP range: its own label
    expect(problems(env)).toEqual([]);
  });

  it('refuses self-hosted runners behind a private-only endpoint when nothing admits them, naming the private subnets', () => {
    const env = raw('prod');
    env.compute.endpointPrivateAccessCidrs = [];
    expect(problems(env)).toEqual([
      'compute.endpointPrivateAccessCidrs: expected the private CIDRs of the self-hosted runners (this VPC\'s private subnets: ["10.30.0.0/18","10.30.64.0/18","10.30.128.0/18"]): the EKS cluster security group admits nothing else on 443',
    ]);
  });

  it('refuses public or documentation ranges as private access CIDRs', () => {
    const env = raw('prod');
    env.compute.endpointPrivateAccessCidrs = ['203.0.113.0/24', '10.30.0.0/18', '10.30.0.0/33'];
    expect(problems(env)).toEqual([
      expect.stringMatching(/^compute\.endpointPrivateAccessCidrs\[0\]: expected an RFC 1918 private range where self-hosted runners live \(e\.g\. the VPC's private subnets\), got "203\.0\.113\.0\/24"$/),
      expect.stringMatching(/^compute\.endpointPrivateAccessCidrs\[2\]: expected a prefix length between 0 and 32/),
    ]);
  });
});

describe('plan runners and apply runners (delivery.planRunsOn, delivery.runsOn)', () => {
  const message = (env: string, field: string, plan: string, apply: string) =>
    `delivery.${field}: a plan job runs pull-request code, so it must not run on the apply runners (a self-hosted apply runner group admits only deploy-env.yml on main): the plan labels (${plan}) are all apply labels (delivery.runsOn ${apply}), ` +
    `so every apply runner would take plan jobs; set delivery.planRunsOn to the labels of separate plan runners, e.g. ["self-hosted", "linux", "x64", "awp-${env}-plan"], registered in a runner group of their own`;

  it('every committed environment plans on runners of its own', () => {
    for (const name of ['dev', 'staging', 'prod']) {
      const env = validateEnvironment(raw(name), `environments/${name}.json`).config!;
      expect(planRunners(env)).toEqual(['self-hosted', 'linux', 'x64', `awp-${name}-plan`]);
      expect(env.delivery.runsOn).toEqual(['self-hosted', 'linux', 'x64', `awp-${name}`]);
    }
  });

  it.each(['dev', 'staging', 'prod'])('%s: refuses identical plan and apply labels, saying why (negative)', (name) => {
    const env = raw(name);
    env.delivery.planRunsOn = ['x64', `awp-${name}`, 'self-hosted', 'linux']; // the same set, in another order
    expect(problems(env)).toEqual([message(name, 'planRunsOn', `["x64","awp-${name}","self-hosted","linux"]`, `["self-hosted","linux","x64","awp-${name}"]`)]);
  });

  it.each(['dev', 'staging', 'prod'])('%s: refuses plan labels that every apply runner has (a subset), and no planRunsOn with self-hosted apply runners (negative)', (name) => {
    const env = raw(name);
    const apply = `["self-hosted","linux","x64","awp-${name}"]`;
    env.delivery.planRunsOn = ['self-hosted', 'linux'];
    expect(problems(env)).toEqual([message(name, 'planRunsOn', '["self-hosted","linux"]', apply)]);
    delete env.delivery.planRunsOn;
    expect(problems(env)).toEqual([message(name, 'runsOn', apply, apply)]);
  });

  it('accepts shared labels with GitHub-hosted apply runners outside prod (no runner group of ours, a fresh VM per job)', () => {
    expect(planRunnerProblems({ name: 'dev', tier: 'dev', delivery: { runsOn: ['ubuntu-24.04'] } })).toEqual([]);
    expect(planRunnerProblems({ name: 'dev', tier: 'dev', delivery: { runsOn: ['self-hosted', 'awp-dev'] } })).toHaveLength(1);
    expect(planRunnerProblems({ name: 'prod', tier: 'prod', delivery: { runsOn: ['ubuntu-24.04'] } })).toHaveLength(1);
  });

  it('holds the plan runners to the EKS endpoint too: GitHub-hosted plan runners cannot reach a private one (negative)', () => {
    const env = raw('prod');
    env.delivery.planRunsOn = ['ubuntu-24.04'];
    expect(problems(env)).toEqual([expect.stringMatching(/^delivery\.planRunsOn: GitHub-hosted runners \(\["ubuntu-24\.04"\]\) cannot reach a private-only EKS endpoint/)]);
  });
});
