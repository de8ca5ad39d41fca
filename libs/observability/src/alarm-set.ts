import { TerraformIterator, TerraformStack, Token, type ITerraformIterator, type TerraformElement, type TerraformProvider } from 'cdktf';
import { Construct, type IConstruct } from 'constructs';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmMetricQuery } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
// cdktf's own id function (not re-exported by the package root): the ids kept below must be exactly the ones it makes.
import { makeUniqueId } from 'cdktf/lib/private/unique';
import { resolveThresholds, type AlarmThresholds, type AlarmThresholdsSettings } from './settings';

/** What every alarm set takes: names, thresholds and who is told. */
export interface AlarmSetProps {
  /** Prefix of every alarm name (the environment, e.g. `prod`). */
  readonly namePrefix: string;
  /** Thresholds (`alarmThresholdsSettings`, src/settings.ts): each one not given takes its default there. */
  readonly thresholds?: AlarmThresholdsSettings;
  /** The topic (in the stack's region) every alarm of the set notifies, on ALARM and on OK. */
  readonly topicArn: string;
}

/** An alarm set whose alarms live in us-east-1 (CloudFront, CLOUDFRONT-scope WAF). */
export interface GlobalAlarmSetProps extends AlarmSetProps {
  /** An AWS provider in us-east-1 and a topic there: an alarm may only notify a topic in its own region. @default none (regional alarms only) */
  readonly usEast1?: { readonly provider: TerraformProvider; readonly topicArn: string };
}

export type Comparison = 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
export type MissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

export interface MetricSpec {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  /** A statistic, or a percentile such as p99 (becomes extended_statistic). */
  readonly stat: string;
}

export interface AlarmSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly metric?: MetricSpec;
  readonly math?: { readonly expression: string; readonly label: string; readonly metrics: Record<string, MetricSpec> };
  readonly comparison: Comparison;
  readonly threshold: number;
  /** @default thresholds.evaluationPeriods */
  readonly evaluationPeriods?: number;
  readonly treatMissingData: MissingData;
  /** False for members of a composite alarm: the composite notifies, once. @default true */
  readonly notify?: boolean;
  readonly forEach?: ITerraformIterator;
  /** The us-east-1 provider: the alarm notifies the us-east-1 topic. @default the stack's provider and `topicArn` */
  readonly provider?: TerraformProvider;
}

// ---- Stable logical ids -------------------------------------------------------------------------------------
// Terraform addresses come from construct paths. The Observability construct once created every resource as its
// direct child; it now composes one construct per concern, and "folds" those children: resources under them keep the
// logical id they had (the path without the concern's id), so no alarm is destroyed and re-created. Used alone, a
// concern construct gets the ordinary ids of its own path.
const folded = new WeakMap<IConstruct, Set<string>>();
const kept = new WeakMap<IConstruct, Map<string, string>>();

/** Resources created later under `parent`'s children named `ids` keep the logical ids they would have as `parent`'s own children. */
export function foldChildIds(parent: IConstruct, ids: readonly string[]): void {
  folded.set(parent, new Set([...(folded.get(parent) ?? []), ...ids]));
}

/** Applies the folding above to one element; call it before anything references the element. */
export function keepLogicalId<T extends TerraformElement>(element: T): T {
  const scopes = element.node.scopes;
  const components: string[] = [];
  let dropped = false;
  for (let i = scopes.indexOf(TerraformStack.of(element)) + 1; i < scopes.length; i++) {
    if (folded.get(scopes[i - 1])?.has(scopes[i].node.id)) dropped = true;
    else components.push(scopes[i].node.id);
  }
  if (!dropped) return element;
  const id = makeUniqueId(components);
  // Two folded concerns with a resource of the same id would collapse into one Terraform address: refuse.
  const stack = TerraformStack.of(element);
  const taken = kept.get(stack) ?? new Map<string, string>();
  kept.set(stack, taken);
  const other = taken.get(id);
  if (other !== undefined) throw new Error(`${element.node.path}: its kept logical id ${id} is already ${other}'s; give one of them another construct id`);
  taken.set(id, element.node.path);
  element.overrideLogicalId(id);
  return element;
}

/**
 * Calls `fn` once per id: for a literal array once per element; for a token list (unknown length until
 * apply, e.g. ElastiCache member clusters from another stack) once with a for_each iterator.
 */
export function eachId(ids: string[], fn: (value: string, key: string, forEach?: ITerraformIterator) => void): void {
  if (Token.isUnresolved(ids)) {
    const it = TerraformIterator.fromList(ids);
    fn(it.value as string, 'each', it);
  } else {
    ids.forEach((v, i) => fn(v, String(i)));
  }
}

/**
 * The base of the alarm sets: thresholds with defaults filled in and validated, and `alarm()`, which writes one
 * CloudWatch metric alarm the same way everywhere (every period of the window must breach; notifies its region's
 * topic on ALARM and OK unless it is a composite's member).
 */
export abstract class AlarmSet extends Construct {
  /** The thresholds in force (defaults filled in). */
  readonly thresholds: AlarmThresholds;
  /** The set's alarms in the stack's region with one resource each (no for_each): what an alarm-status widget can list. */
  readonly alarms: CloudwatchMetricAlarm[] = [];
  private readonly topicArn: string;
  private readonly usEast1TopicArn?: string;
  private readonly namePrefix: string;

  protected constructor(scope: Construct, id: string, props: GlobalAlarmSetProps) {
    super(scope, id);
    this.thresholds = resolveThresholds(props.thresholds, `${this.constructor.name} ${this.node.path}`);
    this.topicArn = props.topicArn;
    this.usEast1TopicArn = props.usEast1?.topicArn;
    this.namePrefix = props.namePrefix;
  }

  /** `<namePrefix>-<parts…>`. */
  protected name(...parts: string[]): string {
    return [this.namePrefix, ...parts].join('-');
  }

  protected alarm(spec: AlarmSpec): CloudwatchMetricAlarm {
    const t = this.thresholds;
    const notify = spec.notify ?? true;
    const topicArn = spec.provider ? this.usEast1TopicArn : this.topicArn;
    if (!topicArn) throw new Error(`${this.constructor.name} ${this.node.path}: alarm ${spec.id} needs the us-east-1 topic`);
    const evaluationPeriods = spec.evaluationPeriods ?? t.evaluationPeriods;
    const single = spec.metric;
    const statistic = single && !single.stat.startsWith('p') ? single.stat : undefined;
    const extendedStatistic = single?.stat.startsWith('p') ? single.stat : undefined;
    const metricQuery: CloudwatchMetricAlarmMetricQuery[] | undefined = spec.math
      ? [
          { id: 'e1', expression: spec.math.expression, label: spec.math.label, returnData: true },
          ...Object.entries(spec.math.metrics).map(([qid, m]) => ({
            id: qid,
            returnData: false,
            metric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, period: t.periodSeconds, stat: m.stat },
          })),
        ]
      : undefined;
    const a = keepLogicalId(
      new CloudwatchMetricAlarm(this, spec.id, {
        provider: spec.provider,
        forEach: spec.forEach,
        alarmName: spec.name,
        alarmDescription: spec.description,
        comparisonOperator: spec.comparison,
        threshold: spec.threshold,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        treatMissingData: spec.treatMissingData,
        ...(single
          ? { namespace: single.namespace, metricName: single.metricName, dimensions: Object.keys(single.dimensions).length ? single.dimensions : undefined, period: t.periodSeconds, statistic, extendedStatistic }
          : { metricQuery }),
        actionsEnabled: true,
        ...(notify ? { alarmActions: [topicArn], okActions: [topicArn] } : {}),
      }),
    );
    if (!spec.forEach && !spec.provider) this.alarms.push(a);
    return a;
  }
}
