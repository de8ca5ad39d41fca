/** Plain-text table with aligned columns (no dependency: three lines of code beat a package here). */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(cells[0]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** The stack dependency graph as a Mermaid flowchart (edges point from a dependency to its dependant). */
export function mermaid(stacks: { name: string; dependencies: string[] }[]): string {
  const id = (n: string) => n.replace(/[^A-Za-z0-9_]/g, '_');
  const lines = ['flowchart LR'];
  for (const s of stacks) lines.push(`  ${id(s.name)}["${s.name}"]`);
  for (const s of stacks) for (const d of s.dependencies) lines.push(`  ${id(d)} --> ${id(s.name)}`);
  return lines.join('\n');
}
