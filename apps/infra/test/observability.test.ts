import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Testing } from 'cdktf';
import { loadEnvironments, type EnvironmentConfig } from '../src/environment';
import { ALL_RULES, checkStack } from '@awp/guardrails';
import { buildEnvironment } from '../src/platform';
import { synthesize } from '../src/synth';
import { REPO, readStack } from './helpers';

type Json = Record<string, any>;

const ENV_DIR = path.join(REPO, 'environments');
const outdir = path.join(mkdtempSync(path.join(tmpdir(), 'awp-obs-')), 'cdktf.out');
const result = synthesize({ dir: ENV_DIR, outdir });
const prod = readStack(outdir, 'prod-observability');
const [devEnv, prodEnv] = loadEnvironments(['dev', 'prod'], { dir: ENV_DIR });

const alarms = (json: Json): [string, Json][] => Object.entries(json.resource.aws_cloudwatch_metric_alarm ?? {});
const byName = (json: Json, pattern: RegExp): [string, Json][] => alarms(json).filter(([, a]) => pattern.test(String(a.alarm_name)));
const topicRef = (json: Json, name: string) => `\${aws_sns_topic.${Object.entries<Json>(json.resource.aws_sns_topic).find(([, t]) => t.name === name)?.[0]}.arn}`;

/** Builds one environment in a fresh app and returns its observability stack's JSON. */
function synthObservability(env: EnvironmentConfig): Json {
  const stacks = buildEnvironment(Testing.app(), env);
  const stack = stacks.get('observability');
  if (!stack) throw new Error('no observability stack');
  return JSON.parse(Testing.synth(stack)) as Json;
}

/** Addresses (`type.name`) whose JSON differs between two synthesized stacks. */
function changedResources(a: Json, b: Json): string[] {
  const out: string[] = [];
  for (const section of ['resource', 'data', 'output']) {
    const types = new Set([...Object.keys(a[section] ?? {}), ...Object.keys(b[section] ?? {})]);
    for (const type of types) {
      const names = new Set([...Object.keys(a[section]?.[type] ?? {}), ...Object.keys(b[section]?.[type] ?? {})]);
      for (const n of names) if (JSON.stringify(a[section]?.[type]?.[n]) !== JSON.stringify(b[section]?.[type]?.[n])) out.push(`${type}.${n}`);
    }
  }
  return out;
}

describe('observability stacks', () => {
  it('npm run synth produces dev-, staging- and prod-observability, depending on every other layer', () => {
    const obs = result.stacks.filter((s) => s.layer === 'observability');
    expect(obs.map((s) => s.name)).toEqual(['dev-observability', 'staging-observability', 'prod-observability']);
    expect(obs.find((s) => s.env === 'prod')?.dependencies).toEqual(['prod-cluster', 'prod-data', 'prod-edge', 'prod-network', 'prod-workloads']);
    expect(result.findings.filter((f) => f.stack.endsWith('-observability') && f.severity === 'error' && !f.suppressedBecause)).toEqual([]);
  });

  it('has an SNS topic with KMS in prod (and its us-east-1 twin), each with its own CMK', () => {
    const topics = Object.values<Json>(prod.resource.aws_sns_topic);
    expect(topics.map((t) => t.name).sort()).toEqual(['prod-alarms', 'prod-alarms-us-east-1']);
    for (const t of topics) expect(t.kms_master_key_id).toMatch(/^\$\{aws_kms_key\.[\w-]+\.arn\}$/);
    const subs = Object.values<Json>(prod.resource.aws_sns_topic_subscription);
    expect(subs.map((s) => s.endpoint)).toEqual(['platform-oncall@example.com', 'platform-oncall@example.com']);
  });

  it('covers each service with metric alarms whose every action points at the SNS topic of its region', () => {
    const covered = new Set(alarms(prod).flatMap(([, a]) => [a.namespace, ...(a.metric_query ?? []).map((q: Json) => q.metric?.namespace)]).filter(Boolean));
    expect([...covered].sort()).toEqual(['AWP/prod', 'AWS/ApplicationELB', 'AWS/CloudFront', 'AWS/ElastiCache', 'AWS/RDS', 'AWS/WAFV2', 'ContainerInsights']);
    const regional = topicRef(prod, 'prod-alarms');
    const usEast1 = topicRef(prod, 'prod-alarms-us-east-1');
    for (const [, a] of alarms(prod)) {
      for (const action of [...(a.alarm_actions ?? []), ...(a.ok_actions ?? []), ...(a.insufficient_data_actions ?? [])]) {
        expect(action).toBe(a.provider === 'aws.us_east_1' ? usEast1 : regional);
      }
      // Only the SLO members page through the composite; every other alarm notifies (and says when it recovers).
      if (!/-slo-/.test(a.alarm_name)) expect([a.alarm_name, a.alarm_actions?.length, a.ok_actions?.length]).toEqual([a.alarm_name, 1, 1]);
    }
  });

  it('ties alarms to the upstream resources by cross-stack reference, not by hand-typed names', () => {
    const remote = (v: unknown) => /\$\{data\.terraform_remote_state\.[\w-]+\.outputs\.[\w-]+\}/.test(JSON.stringify(v));
    expect(remote(byName(prod, /^prod-eks-node-cpu$/)[0][1].dimensions.ClusterName)).toBe(true);
    expect(remote(byName(prod, /^prod-slo-latency-p99$/)[0][1].dimensions)).toBe(true);
    expect(remote(byName(prod, /^prod-cdn-5xx-rate$/)[0][1].dimensions.DistributionId)).toBe(true);
    // ElastiCache members come as a list from the data stack: one alarm resource per metric, for_each over it.
    const evictions = alarms(prod).filter(([, a]) => a.metric_name === 'Evictions');
    expect(evictions).toHaveLength(1);
    expect(evictions[0][1].for_each).toMatch(/terraform_remote_state/);
    // Two read replicas in prod: replica lag per replica, by reference to the data stack.
    const lag = alarms(prod).filter(([, a]) => a.metric_name === 'ReplicaLag');
    expect(lag).toHaveLength(prodEnv.data.database.readReplicas);
    for (const [, a] of lag) expect(remote(a.dimensions.DBInstanceIdentifier)).toBe(true);
    expect(JSON.stringify(prod.data.terraform_remote_state ?? {})).toMatch(/prod\/(network|data|cluster|edge|workloads)\.tfstate/);
  });

  it('alarms at 80 on CPU (nodes, pods, RDS, ElastiCache)', () => {
    const cpu = alarms(prod).filter(([, a]) => /CPUUtilization|cpu_utilization/.test(String(a.metric_name)));
    expect(cpu.length).toBeGreaterThanOrEqual(5);
    for (const [, a] of cpu) expect(a.threshold).toBe(80);
  });

  it('has the p99 latency SLO on TargetResponseTime with extended_statistic p99 at 0.1 s, and one composite that pages', () => {
    const [[p99Key, p99]] = byName(prod, /^prod-slo-latency-p99$/);
    expect(p99).toMatchObject({ namespace: 'AWS/ApplicationELB', metric_name: 'TargetResponseTime', extended_statistic: 'p99', threshold: 0.1 });
    const [[errKey, err]] = byName(prod, /^prod-slo-error-rate$/);
    expect(err.threshold).toBe(1);
    for (const member of [p99, err]) expect(member.alarm_actions).toBeUndefined();
    const composites = Object.values<Json>(prod.resource.aws_cloudwatch_composite_alarm);
    expect(composites).toHaveLength(1);
    expect(composites[0].alarm_rule).toBe(`ALARM("\${aws_cloudwatch_metric_alarm.${p99Key}.alarm_name}") OR ALARM("\${aws_cloudwatch_metric_alarm.${errKey}.alarm_name}")`);
    expect(composites[0].alarm_actions).toEqual([topicRef(prod, 'prod-alarms')]);
    expect(composites[0].ok_actions).toEqual([topicRef(prod, 'prod-alarms')]);
  });

  it('has one dashboard with the 100 ms line, built from widgets', () => {
    const dashboards = Object.values<Json>(prod.resource.aws_cloudwatch_dashboard);
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0].dashboard_name).toBe('prod-service');
    const body = JSON.parse(dashboards[0].dashboard_body);
    const latency = body.widgets.find((w: Json) => /^Latency/.test(w.properties.title ?? ''));
    expect(latency.properties.annotations.horizontal).toEqual([expect.objectContaining({ value: 0.1, label: 'SLO p99 100 ms' })]);
    expect(body.widgets.length).toBeGreaterThanOrEqual(10);
  });

  it('turns the service error logs into a metric with an alarm, on the cluster-owned application log group (by reference)', () => {
    const filter = Object.values<Json>(prod.resource.aws_cloudwatch_log_metric_filter)[0];
    const ref = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-prod-cluster\.outputs\.([\w-]+)\}$/.exec(filter.log_group_name);
    expect(ref).not.toBeNull();
    // The cluster stack's output is the log group resource's name: the filter waits for that group, never a copied name.
    const cluster = readStack(outdir, 'prod-cluster');
    const producer = /^\$\{aws_cloudwatch_log_group\.([\w-]+)\.name\}$/.exec(cluster.output[ref![1]].value);
    expect(cluster.resource.aws_cloudwatch_log_group[producer![1]]).toMatchObject({ name: '/aws/containerinsights/prod-eks/application', kms_key_id: expect.any(String), retention_in_days: expect.any(Number) });
    expect(filter.pattern).toContain('$.log_processed.level >= 50');
    expect(byName(prod, /^prod-service-error-logs$/)[0][1]).toMatchObject({ namespace: 'AWP/prod', metric_name: 'ServiceErrorLogs' });
    // Every log group this stack owns is encrypted and has retention (AWP-LOG-001/002 would refuse the synth otherwise).
    for (const g of Object.values<Json>(prod.resource.aws_cloudwatch_log_group ?? {})) expect([g.kms_key_id, g.retention_in_days]).toEqual([expect.any(String), expect.any(Number)]);
  });

  it('passes the guardrails, including AWP-OBS-001/002', () => {
    const stack = buildEnvironment(Testing.app(), prodEnv).get('observability');
    const findings = checkStack(stack!, ALL_RULES).filter((f) => !f.suppressedBecause);
    expect(findings.map((f) => `${f.ruleId} ${f.address}`)).toEqual([]);
  });

  it('dev differs from prod by its file: its own recipients, one replica fewer, no CloudFront alarms lost', () => {
    const dev = readStack(outdir, 'dev-observability');
    expect(Object.values<Json>(dev.resource.aws_sns_topic_subscription).map((s) => s.endpoint)).toEqual(['platform-dev-alerts@example.com', 'platform-dev-alerts@example.com']);
    expect(byName(dev, /^dev-hpa-at-max$/)[0][1].threshold).toBe(devEnv.service.replicas.max);
    expect(byName(prod, /^prod-hpa-at-max$/)[0][1].threshold).toBe(prodEnv.service.replicas.max);
    expect(alarms(dev).filter(([, a]) => a.metric_name === 'ReplicaLag')).toHaveLength(0);
    expect(byName(dev, /^dev-cdn-5xx-rate$/)).toHaveLength(1);
  });

  it('alarms when the cluster runs at its node groups maximum (Container Insights cluster_node_count vs the sum of maxSize)', () => {
    const sumMax = (env: EnvironmentConfig) => env.compute.nodeGroups.reduce((n, g) => n + g.maxSize, 0);
    for (const [json, env] of [[prod, prodEnv], [readStack(outdir, 'dev-observability'), devEnv]] as const) {
      const [[, a]] = byName(json, new RegExp(`^${env.name}-eks-nodes-at-max$`));
      expect(a).toMatchObject({ namespace: 'ContainerInsights', metric_name: 'cluster_node_count', statistic: 'Minimum', comparison_operator: 'GreaterThanOrEqualToThreshold', threshold: sumMax(env) });
      expect(a.evaluation_periods).toBe((env.observability.thresholds.nodeGroupAtMaxMinutes * 60) / env.observability.thresholds.periodSeconds);
      expect(a.dimensions.ClusterName).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-[a-z]+-cluster\.outputs\.[\w-]+\}$/);
      expect(JSON.stringify(json)).not.toContain('AWS/AutoScaling');
    }
    expect(sumMax(prodEnv)).toBe(9);
    // A bigger node group moves this alarm's threshold (and the dashboard line that shows it), nothing else here.
    const before = synthObservability(prodEnv);
    const bigger = structuredClone(prodEnv);
    bigger.compute.nodeGroups[0].maxSize += 3;
    const after = synthObservability(bigger);
    const [[key]] = byName(before, /^prod-eks-nodes-at-max$/);
    expect(changedResources(before, after).sort()).toEqual([`aws_cloudwatch_dashboard.${Object.keys(before.resource.aws_cloudwatch_dashboard)[0]}`, `aws_cloudwatch_metric_alarm.${key}`].sort());
    expect(after.resource.aws_cloudwatch_metric_alarm[key].threshold).toBe(12);
  });

  it('changing the node-group-at-max duration changes that alarm only', () => {
    const before = synthObservability(prodEnv);
    const after = synthObservability({ ...prodEnv, observability: { ...prodEnv.observability, thresholds: { ...prodEnv.observability.thresholds, nodeGroupAtMaxMinutes: 30 } } });
    const [[key]] = byName(before, /^prod-eks-nodes-at-max$/);
    expect(changedResources(before, after)).toEqual([`aws_cloudwatch_metric_alarm.${key}`]);
    const [a, b] = [before.resource.aws_cloudwatch_metric_alarm[key], after.resource.aws_cloudwatch_metric_alarm[key]];
    expect(Object.keys(b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort()).toEqual(['alarm_description', 'datapoints_to_alarm', 'evaluation_periods']);
    expect(b.evaluation_periods).toBe(30);
  });

  it('changing a threshold in an environment file changes that alarm only', () => {
    const before = synthObservability(prodEnv);
    const edited: EnvironmentConfig = { ...prodEnv, observability: { ...prodEnv.observability, thresholds: { ...prodEnv.observability.thresholds, cdnErrorRatePercent: 2.5 } } };
    const after = synthObservability(edited);
    const [[cdnKey]] = byName(before, /^prod-cdn-5xx-rate$/);
    expect(changedResources(before, after)).toEqual([`aws_cloudwatch_metric_alarm.${cdnKey}`]);
    expect(after.resource.aws_cloudwatch_metric_alarm[cdnKey].threshold).toBe(2.5);
    // Only the threshold (and the description that states it) moved.
    const [a, b] = [before.resource.aws_cloudwatch_metric_alarm[cdnKey], after.resource.aws_cloudwatch_metric_alarm[cdnKey]];
    expect(Object.keys(b).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort()).toEqual(['alarm_description', 'threshold']);
    // The other environments' stacks do not move either.
    expect(changedResources(synthObservability(devEnv), synthObservability(devEnv))).toEqual([]);
  });

  it('changing the CPU threshold changes exactly the CPU alarms', () => {
    const before = synthObservability(prodEnv);
    const after = synthObservability({ ...prodEnv, observability: { ...prodEnv.observability, thresholds: { ...prodEnv.observability.thresholds, cpuPercent: 70 } } });
    const cpuKeys = alarms(before)
      .filter(([, a]) => /CPUUtilization|cpu_utilization/.test(String(a.metric_name)))
      .map(([k]) => `aws_cloudwatch_metric_alarm.${k}`);
    const changed = changedResources(before, after);
    // The dashboard's header text states the thresholds, and the pod widget draws the CPU line.
    expect(changed.filter((c) => !c.startsWith('aws_cloudwatch_dashboard.')).sort()).toEqual(cpuKeys.sort());
    for (const k of cpuKeys) expect(after.resource.aws_cloudwatch_metric_alarm[k.split('.')[1]].threshold).toBe(70);
  });
});
