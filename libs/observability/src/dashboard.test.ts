import { expression, metric, renderDashboard, text } from './dashboard';

describe('renderDashboard', () => {
  it('serializes typed metric lines to CloudWatch dashboard arrays', () => {
    const body = JSON.parse(
      renderDashboard([
        {
          widgets: [
            {
              type: 'metric',
              title: 'latency',
              region: 'eu-west-1',
              lines: [metric('AWS/ApplicationELB', 'TargetResponseTime', { LoadBalancer: 'app/x/1' }, { stat: 'p99', label: 'p99' }), expression('e1', 'm1 * 2', 'double')],
              horizontalAnnotations: [{ value: 0.1, label: 'SLO' }],
              leftAxis: { min: 0 },
            },
          ],
        },
      ]),
    );
    const w = body.widgets[0];
    expect(w).toMatchObject({ type: 'metric', x: 0, y: 0, width: 12, height: 6 });
    expect(w.properties.metrics).toEqual([
      ['AWS/ApplicationELB', 'TargetResponseTime', 'LoadBalancer', 'app/x/1', { stat: 'p99', label: 'p99' }],
      [{ expression: 'm1 * 2', label: 'double', id: 'e1' }],
    ]);
    expect(w.properties.annotations).toEqual({ horizontal: [{ value: 0.1, label: 'SLO' }] });
    expect(w.properties.yAxis).toEqual({ left: { min: 0 } });
    expect(w.properties).toMatchObject({ view: 'timeSeries', region: 'eu-west-1', period: 60, stat: 'Average' });
  });

  it('lays rows out top to bottom and wraps widgets at 24 columns', () => {
    const m = (title: string) => ({ type: 'metric' as const, title, region: 'r', lines: [metric('N', 'M')], width: 10, height: 5 });
    const body = JSON.parse(renderDashboard([{ widgets: [text('# hi', { width: 24, height: 2 })] }, { widgets: [m('a'), m('b'), m('c')] }]));
    expect(body.widgets.map((w: { x: number; y: number }) => [w.x, w.y])).toEqual([[0, 0], [0, 2], [10, 2], [0, 7]]);
    expect(body.widgets[0].properties).toEqual({ markdown: '# hi' });
  });

  it('refuses ids CloudWatch rejects, widths outside the grid and empty widgets, naming the widget', () => {
    expect(() => renderDashboard([{ widgets: [{ type: 'metric', title: 'bad', region: 'r', lines: [expression('E1', 'x', 'l')] }] }])).toThrow(/widget "bad": id "E1"/);
    expect(() => renderDashboard([{ widgets: [{ type: 'metric', title: 'wide', region: 'r', lines: [metric('N', 'M')], width: 25 }] }])).toThrow(/"wide" width 25/);
    expect(() => renderDashboard([{ widgets: [{ type: 'metric', title: 'empty', region: 'r', lines: [] }] }])).toThrow(/"empty" has no lines/);
    expect(() => renderDashboard([{ widgets: [{ type: 'alarm', title: 'none', alarmArns: [] }] }])).toThrow(/"none" needs 1 to 100 alarms/);
  });

  it('keeps cdktf tokens as interpolations inside string values', () => {
    const body = renderDashboard([{ widgets: [{ type: 'metric', title: 't', region: 'r', lines: [metric('N', 'M', { ClusterName: '${TfToken[TOKEN.1]}' })] }] }]);
    expect(body).toContain('"ClusterName","${TfToken[TOKEN.1]}"');
  });
});
