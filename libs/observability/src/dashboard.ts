/**
 * Typed CloudWatch dashboard widgets and their serialization to `dashboard_body`
 * (the format of https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
 * Values may be cdktf string tokens (cluster names, ARN suffixes from other stacks): JSON.stringify keeps them as
 * `${…}` inside string values, which Terraform interpolates.
 */

export type Statistic = 'Average' | 'Sum' | 'Minimum' | 'Maximum' | 'SampleCount' | `p${number}`;

/** One metric line: namespace, name, dimensions, and how to draw it. */
export interface MetricLine {
  readonly kind?: 'metric';
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  readonly stat?: Statistic;
  readonly label?: string;
  /** An id for use in expressions (lowercase first letter, as CloudWatch requires). */
  readonly id?: string;
  /** False: fetched for expressions but not drawn. */
  readonly visible?: boolean;
  readonly region?: string;
  readonly yAxis?: 'left' | 'right';
  readonly color?: string;
}

/** A metric math or SEARCH expression line. */
export interface ExpressionLine {
  readonly kind: 'expression';
  readonly expression: string;
  readonly label: string;
  readonly id: string;
  readonly yAxis?: 'left' | 'right';
  readonly color?: string;
}

export type WidgetLine = MetricLine | ExpressionLine;

export interface HorizontalAnnotation {
  readonly value: number;
  readonly label: string;
  readonly color?: string;
  /** Shade above or below the line. */
  readonly fill?: 'above' | 'below';
}

export interface AxisRange {
  readonly min?: number;
  readonly max?: number;
  readonly label?: string;
  readonly showUnits?: boolean;
}

interface WidgetBase {
  /** Grid columns (1-24). @default 12 */
  readonly width?: number;
  /** Grid rows. @default 6 */
  readonly height?: number;
}

export interface MetricWidget extends WidgetBase {
  readonly type: 'metric';
  readonly title: string;
  readonly region: string;
  readonly lines: readonly WidgetLine[];
  /** @default 'timeSeries' */
  readonly view?: 'timeSeries' | 'singleValue' | 'bar' | 'pie';
  /** @default 60 */
  readonly period?: number;
  /** Default statistic of lines that set none. @default 'Average' */
  readonly stat?: Statistic;
  readonly stacked?: boolean;
  readonly horizontalAnnotations?: readonly HorizontalAnnotation[];
  readonly leftAxis?: AxisRange;
  readonly rightAxis?: AxisRange;
}

export interface TextWidget extends WidgetBase {
  readonly type: 'text';
  readonly markdown: string;
}

export interface AlarmStatusWidget extends WidgetBase {
  readonly type: 'alarm';
  readonly title: string;
  /** Alarm ARNs (at most 100). */
  readonly alarmArns: readonly string[];
}

export type Widget = MetricWidget | TextWidget | AlarmStatusWidget;

/** A dashboard row: its widgets are laid out left to right, wrapping at 24 columns. */
export interface DashboardRow {
  readonly widgets: readonly Widget[];
}

// ---- builders --------------------------------------------------------------------------------------

export const metric = (namespace: string, metricName: string, dimensions: Readonly<Record<string, string>> = {}, options: Omit<MetricLine, 'kind' | 'namespace' | 'metricName' | 'dimensions'> = {}): MetricLine => ({
  kind: 'metric',
  namespace,
  metricName,
  dimensions,
  ...options,
});

export const expression = (id: string, expr: string, label: string, options: Omit<ExpressionLine, 'kind' | 'id' | 'expression' | 'label'> = {}): ExpressionLine => ({
  kind: 'expression',
  id,
  expression: expr,
  label,
  ...options,
});

export const text = (markdown: string, options: WidgetBase = {}): TextWidget => ({ type: 'text', markdown, ...options });

// ---- serialization -----------------------------------------------------------------------------------

const GRID_COLUMNS = 24;

function assertId(id: string | undefined, where: string): void {
  // CloudWatch: ids start with a lowercase letter and hold letters, digits and underscores.
  if (id !== undefined && !/^[a-z][a-zA-Z0-9_]*$/.test(id)) throw new Error(`dashboard: ${where}: id "${id}" must start with a lowercase letter and hold only letters, digits, _`);
}

function lineJson(line: WidgetLine, where: string): unknown[] {
  if (line.kind === 'expression') {
    assertId(line.id, where);
    return [{ expression: line.expression, label: line.label, id: line.id, ...(line.yAxis ? { yAxis: line.yAxis } : {}), ...(line.color ? { color: line.color } : {}) }];
  }
  assertId(line.id, where);
  const dims = Object.entries(line.dimensions ?? {}).flat();
  const options: Record<string, unknown> = {};
  if (line.stat) options.stat = line.stat;
  if (line.label) options.label = line.label;
  if (line.id) options.id = line.id;
  if (line.visible === false) options.visible = false;
  if (line.region) options.region = line.region;
  if (line.yAxis) options.yAxis = line.yAxis;
  if (line.color) options.color = line.color;
  return [line.namespace, line.metricName, ...dims, ...(Object.keys(options).length ? [options] : [])];
}

function axis(a?: AxisRange): Record<string, unknown> | undefined {
  if (!a) return undefined;
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined));
}

function widgetProperties(w: Widget): Record<string, unknown> {
  switch (w.type) {
    case 'text':
      return { markdown: w.markdown };
    case 'alarm':
      if (w.alarmArns.length === 0 || w.alarmArns.length > 100) throw new Error(`dashboard: alarm widget "${w.title}" needs 1 to 100 alarms, got ${w.alarmArns.length}`);
      return { title: w.title, alarms: [...w.alarmArns] };
    case 'metric': {
      if (w.lines.length === 0) throw new Error(`dashboard: metric widget "${w.title}" has no lines`);
      const yAxis = { ...(w.leftAxis ? { left: axis(w.leftAxis) } : {}), ...(w.rightAxis ? { right: axis(w.rightAxis) } : {}) };
      return {
        title: w.title,
        region: w.region,
        view: w.view ?? 'timeSeries',
        stacked: w.stacked ?? false,
        period: w.period ?? 60,
        stat: w.stat ?? 'Average',
        metrics: w.lines.map((l) => lineJson(l, `widget "${w.title}"`)),
        ...(Object.keys(yAxis).length ? { yAxis } : {}),
        ...(w.horizontalAnnotations?.length ? { annotations: { horizontal: w.horizontalAnnotations.map((a) => ({ ...a })) } } : {}),
      };
    }
  }
}

/**
 * The dashboard body: rows are stacked top to bottom; within a row widgets flow left to right and wrap at 24
 * columns. Throws on a widget wider than the grid or an invalid id, naming the widget.
 */
export function renderDashboard(rows: readonly DashboardRow[]): string {
  const widgets: Record<string, unknown>[] = [];
  let y = 0;
  for (const row of rows) {
    let x = 0;
    let rowHeight = 0;
    for (const w of row.widgets) {
      const width = w.width ?? 12;
      const height = w.height ?? 6;
      if (width < 1 || width > GRID_COLUMNS) throw new Error(`dashboard: widget ${'title' in w ? `"${w.title}"` : '(text)'} width ${width} is outside 1-${GRID_COLUMNS}`);
      if (x + width > GRID_COLUMNS) {
        y += rowHeight;
        x = 0;
        rowHeight = 0;
      }
      widgets.push({ type: w.type, x, y, width, height, properties: widgetProperties(w) });
      x += width;
      rowHeight = Math.max(rowHeight, height);
    }
    y += rowHeight;
  }
  return JSON.stringify({ start: '-PT6H', periodOverride: 'inherit', widgets });
}
