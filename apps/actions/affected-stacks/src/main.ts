import * as core from '@actions/core';
import { affectedStacks, readManifest, toMatrix } from '@awp/delivery';
import { booleanInput, listInput, run } from '../../shared/runtime';

/** `projects` takes the JSON array printed by `nx show projects --affected --json`, or a plain list. */
function projectsInput(): string[] {
  const raw = core.getInput('projects').trim();
  if (raw.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new Error(`input "projects": not valid JSON (${(err as Error).message}); expected the output of \`nx show projects --affected --json\``);
    }
    if (!Array.isArray(parsed) || parsed.some((p) => typeof p !== 'string')) throw new Error('input "projects": expected a JSON array of project names');
    return parsed as string[];
  }
  return listInput('projects');
}

async function main(): Promise<void> {
  const graph = readManifest(core.getInput('manifest') || 'cdktf.out');
  const result = affectedStacks({
    graph,
    projects: projectsInput(),
    files: listInput('files'),
    all: booleanInput('all', false),
    envs: listInput('envs'),
  });
  const matrix = toMatrix(result);
  core.setOutput('matrix', JSON.stringify(matrix));
  core.setOutput('stacks', JSON.stringify(result.include.map((e) => e.stack)));
  core.setOutput('count', String(result.include.length));
  core.setOutput('has-stacks', String(result.include.length > 0));

  const rows = result.include.map((e) => [`\`${e.stack}\``, e.needs.map((n) => `\`${n}\``).join(', ') || '—', result.reasons[e.stack].join('; ')]);
  const summary = core.summary.addHeading(`Affected stacks: ${result.include.length}`, 3);
  if (rows.length) summary.addTable([[{ data: 'Stack (in dependency order)', header: true }, { data: 'Waits for', header: true }, { data: 'Why', header: true }], ...rows]);
  else summary.addRaw('No stack is affected by this change.', true);
  await summary.write();
  core.info(`Affected stacks (${result.include.length}): ${result.include.map((e) => e.stack).join(', ') || 'none'}`);
}

run(main);
