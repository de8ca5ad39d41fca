import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validateEnvironment } from '../../src/environment';

const ENV_DIR = path.resolve(__dirname, '../../../../environments');
const prodRaw = () => JSON.parse(readFileSync(path.join(ENV_DIR, 'prod.json'), 'utf8'));

function problems(raw: unknown): string[] {
  return validateEnvironment(raw, 'environments/prod.json').problems.map((p) => `${p.path}: ${p.message}`);
}

describe('observability section', () => {
  it('defaults to the scaling plan: 80 % thresholds, p99 100 ms, 15 minutes at max', () => {
    const { config, problems: p } = validateEnvironment(prodRaw(), 'environments/prod.json');
    expect(p).toEqual([]);
    expect(config?.observability.thresholds).toMatchObject({ cpuPercent: 80, memoryPercent: 80, latencyP99Seconds: 0.1, hpaAtMaxMinutes: 15, nodeGroupAtMaxMinutes: 15, periodSeconds: 60 });
    expect(config?.observability.chatbot).toBeUndefined();
  });

  it('refuses an evaluation range longer than a day', () => {
    const raw = prodRaw();
    raw.observability.thresholds = { evaluationPeriods: 300, periodSeconds: 300 };
    expect(problems(raw)).toEqual(["observability.thresholds.evaluationPeriods: expected evaluationPeriods x periodSeconds <= 86400 (one day, CloudWatch's limit), got 300 x 300"]);
  });

  it('refuses an at-max duration that is not a whole number of periods', () => {
    const raw = prodRaw();
    raw.observability.thresholds = { periodSeconds: 300, hpaAtMaxMinutes: 12 };
    expect(problems(raw)).toEqual(['observability.thresholds.hpaAtMaxMinutes: expected a multiple of periodSeconds (5 min), got 12']);
  });

  it('refuses an at-max duration over a day', () => {
    const raw = prodRaw();
    raw.observability.thresholds = { nodeGroupAtMaxMinutes: 1500 };
    expect(problems(raw)).toEqual(["observability.thresholds.nodeGroupAtMaxMinutes: expected at most 1440 (one day, CloudWatch's limit), got 1500"]);
  });

  it('refuses the same alarm address twice', () => {
    const raw = prodRaw();
    raw.observability.alarmEmails = ['a@example.com', 'a@example.com'];
    expect(problems(raw)).toEqual(['observability.alarmEmails[1]: expected unique addresses, "a@example.com" appears twice']);
  });

  it('refuses Slack ids that are not Slack ids', () => {
    const raw = prodRaw();
    raw.observability.chatbot = { slackTeamId: 'my-team', slackChannelId: '#alerts' };
    expect(problems(raw).sort()).toEqual([
      'observability.chatbot.slackChannelId: expected a Slack channel id like C0123ABCDE',
      'observability.chatbot.slackTeamId: expected a Slack workspace id like T0123ABCDE',
    ]);
  });

  it('refuses unknown threshold keys, naming them', () => {
    const raw = prodRaw();
    raw.observability.thresholds = { cpuPrecent: 70 };
    expect(problems(raw)).toEqual(['observability.thresholds: unknown field "cpuPrecent"']);
  });
});
