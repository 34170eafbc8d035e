// Renders the registry for people: the `amikit sysprep --list-operations` lines and the README table
// (between <!-- operations:begin --> and <!-- operations:end -->), so documentation cannot drift from code.
import type { CustomizeOperation } from './operation.js';
import { ALL_OPERATIONS } from './registry.js';

export const README_BEGIN_MARKER = '<!-- operations:begin -->';
export const README_END_MARKER = '<!-- operations:end -->';

/** `name  *  summary` lines, strip operations first; `*` marks the `--sysprep` defaults. */
export function renderOperationsList(operations: readonly CustomizeOperation[] = ALL_OPERATIONS): string {
  const width = Math.max(...operations.map((op) => op.name.length));
  const line = (op: CustomizeOperation): string => `${op.name.padEnd(width)}  ${op.enabledByDefault ? '*' : ' '}  ${op.summary}`;
  const strip = operations.filter((op) => op.kind === 'strip');
  const inject = operations.filter((op) => op.kind === 'inject');
  return [
    'Stripping operations (--sysprep[=OPS]; * = in the defaults):',
    ...strip.map(line),
    '',
    'Injection operations (run when their flags are given, after stripping):',
    ...inject.map((op) => `${line(op)}  (${op.options.map((o) => `--${o.flag}`).join(', ')})`),
  ].join('\n') + '\n';
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README section: one markdown table per kind, generated from the registry. */
export function renderOperationsTable(operations: readonly CustomizeOperation[] = ALL_OPERATIONS): string {
  const rows = (kind: 'strip' | 'inject'): string[] =>
    operations
      .filter((op) => op.kind === kind)
      .map((op) => {
        const flags = op.options.map((o) => `\`--${o.flag}${o.valueName ? ' ' + o.valueName : ''}\``).join(' ');
        const when = kind === 'strip' ? (op.enabledByDefault ? 'default' : 'opt-in') : flags;
        return `| \`${op.name}\` | ${cell(when)} | ${cell(op.description)}${kind === 'strip' && flags ? ` Flags: ${cell(flags)}.` : ''} |`;
      });
  return [
    README_BEGIN_MARKER,
    '<!-- generated from src/customize/registry.ts; regenerate with UPDATE_README=1 npx vitest run test/customize/readme-operations.test.ts -->',
    '',
    'Stripping runs first (`--sysprep` = the defaults; `--sysprep=defaults,-name,+name`), in name order:',
    '',
    '| operation | selected | what it does |',
    '|---|---|---|',
    ...rows('strip'),
    '',
    'Injection runs last, each operation when its flags are given:',
    '',
    '| operation | flags | what it does |',
    '|---|---|---|',
    ...rows('inject'),
    README_END_MARKER,
  ].join('\n');
}

/** README text with the section between the markers replaced (markers must exist once each). */
export function replaceReadmeSection(readme: string, section: string = renderOperationsTable()): string | undefined {
  const begin = readme.indexOf(README_BEGIN_MARKER);
  const end = readme.indexOf(README_END_MARKER);
  if (begin < 0 || end < begin) return undefined;
  return readme.slice(0, begin) + section + readme.slice(end + README_END_MARKER.length);
}
