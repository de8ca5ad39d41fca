// Entry point of .github/scripts/dist/scrub-plan.cjs, which plan-stacks.sh and apply-stacks.sh run with plain node
// (no npm ci, no build on the runner): `node .github/scripts/dist/scrub-plan.cjs <in.json> <out.json>`.
// The scrubbing itself is @awp/delivery's scrubPlanFile (libs/delivery/src/plan/scrub.ts), the library the
// plan-report and drift-report actions read the scrubbed plans with. Bundled by apps/actions/shared/build.mjs.
import { scrubPlanFile } from '@awp/delivery';

const [input, output, ...rest] = process.argv.slice(2);
if (!input || !output || rest.length > 0) {
  console.error('usage: scrub-plan.cjs <in.json> <out.json>  (in: `terraform show -json <planfile>` output)');
  process.exit(2);
}
try {
  scrubPlanFile(input, output);
} catch (err) {
  console.error(`scrub-plan: ${(err as Error).message}`);
  process.exit(1);
}
