#!/usr/bin/env node
// The repository stands on its own: no tracked file (Markdown aside) may refer to a path above the repository
// root — a GitHub checkout, a contributor's clone and an adopting team have nothing beside it. Run by
// .ci/checks/05-self-contained.sh and by `nx run scripts:test` (scripts/self-contained.test.mjs).
//
//   node scripts/self-contained.mjs            check every tracked file; exit 1 listing each reference
//
// A relative reference escapes when it climbs more `..` segments than the directory it is resolved from is deep.
// Files are resolved from their own folder, except those a runner executes from the repository root
// (workflows, composite action metadata), which get depth 0.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Files not read: prose, generated lock data, and binary formats. */
const SKIP = [/\.md$/i, /(^|\/)package-lock\.json$/, /\.(png|jpe?g|gif|ico|gz|tgz|zip|wasm)$/i];
/** Files a runner executes from the repository root rather than from their own folder. */
const ROOT_RELATIVE = [/^\.github\/workflows\//];

/** Relative paths written with slashes (or backslashes): the number of leading parent segments. */
const SLASHED = /(?<![\w.\/\\-])((?:\.\.[\/\\])+)/g;
/** Parent segments given as separate string arguments to path.join/resolve. */
const ARGUMENTS = /(['"`])\.\.\1(?:\s*,\s*(['"`])\.\.\2)*/g;
/** Names that only exist outside the repository on our build machines, whatever the path form. */
// The sibling folder's name is assembled at run time, so this file never spells the path it forbids.
const SIBLING_FIXTURES = ['shared', 'fixtures'].join('/');
const OUTSIDE_NAMES = [
  { re: new RegExp(`(?<![\\w-])${SIBLING_FIXTURES}/`), name: `${SIBLING_FIXTURES} (copy fixtures beside their tests)` },
  { re: /(?<![\w\/-])DESIGN\.md\b/, name: 'DESIGN.md (the design lives in docs/architecture.md)' }, // self-contained: allow
];
/** A line carrying this marker is exempt (the checker's own tests build bad examples). */
const ALLOW = 'self-contained: allow';

/** The directory depth a file's relative paths are resolved from. */
export function baseDepth(file) {
  if (ROOT_RELATIVE.some((re) => re.test(file))) return 0;
  const dir = path.posix.dirname(file);
  return dir === '.' ? 0 : dir.split('/').length;
}

/**
 * Every reference in `text` (the content of `file`, a path relative to the repository root) that climbs above
 * the root. Returns `{ file, line, text, reason }` entries; empty when the file is self-contained.
 */
export function findOutsideReferences(file, text) {
  if (SKIP.some((re) => re.test(file))) return [];
  const depth = baseDepth(file);
  const found = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((content, i) => {
    if (content.length > 4000 || content.includes(ALLOW)) return; // minified bundle lines carry no repository paths
    const report = (reason) => found.push({ file, line: i + 1, text: content.trim().slice(0, 160), reason });
    for (const m of content.matchAll(SLASHED)) {
      const up = m[1].length / 3;
      if (up > depth) report(`climbs ${up} level(s) from a folder ${depth} deep`);
    }
    for (const m of content.matchAll(ARGUMENTS)) {
      const up = (m[0].match(/\.\./g) ?? []).length;
      // A lone '..' argument is a path segment only inside path.join/resolve-like calls.
      if (up > depth && /(join|resolve)\s*\(/.test(content)) report(`climbs ${up} level(s) from a folder ${depth} deep`);
    }
    for (const { re, name } of OUTSIDE_NAMES) if (re.test(content)) report(`names ${name}, which exists only outside the repository`);
  });
  return found;
}

/** Tracked files (git ls-files) below `root`. */
export function trackedFiles(root) {
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\0')
    .filter(Boolean);
}

export function checkRepository(root) {
  const problems = [];
  for (const file of trackedFiles(root)) {
    if (SKIP.some((re) => re.test(file))) continue;
    let text;
    try {
      text = readFileSync(path.join(root, file), 'utf8');
    } catch {
      continue; // deleted in the working tree
    }
    if (text.includes('\0')) continue;
    problems.push(...findOutsideReferences(file, text));
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const problems = checkRepository(root);
  if (problems.length === 0) {
    console.log(`self-contained: ${trackedFiles(root).length} tracked files, no reference above the repository root`);
  } else {
    console.error(`self-contained: ${problems.length} reference(s) to paths outside the repository (copy what is needed into it):`);
    for (const p of problems) console.error(`  ${p.file}:${p.line}: ${p.reason}\n      ${p.text}`);
    process.exit(1);
  }
}
