// The smallest stack a team writes with @awp/observability: a plain cdktf App and TerraformStack, the team's own
// AWS provider with its tags, and the Observability construct watching the team's PostgreSQL instance and Valkey
// cache (built elsewhere, e.g. with @awp/data): the alarm topic (encrypted with its own key) and its email subscription, alarms at
// the platform's thresholds (80 % CPU, memory and connections, 20 % free storage), and the dashboard. The other
// sources (cluster, workloads, edge) are optional; each one given adds its alarms and dashboard rows.
// `npx tsx main.ts` (or compile and `node main.js`; examples/README.md) writes cdktf.out/stacks/team-observability.
import { App, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ALL_RULES, Guardrails } from '@awp/guardrails';
import { Observability, rdsInstanceMemoryGib, rdsPostgresDefaultMaxConnections } from '@awp/observability';

const app = new App();
const stack = new TerraformStack(app, 'team-observability');
new AwsProvider(stack, 'aws', {
  region: 'eu-central-1',
  allowedAccountIds: ['123456789012'],
  // The guardrails require these six tags on every taggable resource; default tags put them there.
  defaultTags: [{ tags: { Environment: 'sandbox', Layer: 'observability', Owner: 'team-a', CostCenter: 'cc-1', Repository: 'team-a/infra', ManagedBy: 'cdktf' } }],
});

// The region's CloudWatch Logs key, from the team's network stack (e.g. @awp/network's logsKeyArn): it encrypts the
// service's log group once cluster and workloads sources are given. (The alarm topics get a key of their own.)
const logsKeyArn = new TerraformVariable(stack, 'logs_key_arn', { type: 'string', description: 'The KMS key that encrypts CloudWatch log groups' });
// The thresholds need the instance's memory and max_connections: derived from its class, known at synth.
const instanceClass = 'db.t4g.medium';

const observability = new Observability(stack, 'observability', {
  // Every other setting (thresholds, the latency SLO, retention) keeps its default: libs/observability/src/settings.ts.
  settings: { alarmEmails: ['team-a-oncall@example.com'] },
  namePrefix: 'sandbox',
  network: { logsKeyArn: logsKeyArn.stringValue },
  // One alarm set per instance and cache node: their IDs are plain values, known at synth.
  data: {
    database: {
      primaryInstanceId: 'sandbox-postgres',
      instanceMemoryGib: rdsInstanceMemoryGib(instanceClass) ?? 4,
      maxConnections: rdsPostgresDefaultMaxConnections(instanceClass) ?? 100,
      allocatedStorageGb: 50,
    },
    cache: { replicationGroupId: 'sandbox-cache', memberClusterIds: ['sandbox-cache-001', 'sandbox-cache-002'] },
  },
});

new TerraformOutput(stack, 'dashboard_name', { value: observability.dashboardName });

// The platform's policy rules on the team's stack: synth fails listing every error-severity finding.
const guardrails = new Guardrails(ALL_RULES).applyTo(app);
app.synth();
guardrails.assertClean();
