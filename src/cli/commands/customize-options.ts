// The customisation flags of `amikit build`, generated from the operation registry, and their translation
// into the pipeline's `customize` hook (validated before any layer is read) or a dry run.
import type { LoadTreeOptions } from '../../pipeline/load-tree.js';
import { ALL_OPERATIONS } from '../../customize/registry.js';
import { planCustomization, runCustomization, type CustomizationReport } from '../../customize/customize-tree.js';
import type { OptionValues } from '../../customize/operation.js';
import type { FileTree } from '../../tree/file-tree.js';
import type { CommandContext, OptionSpec } from '../command.js';

export const CUSTOMIZE_OPTIONS: OptionSpec[] = [
  { name: 'sysprep', type: 'string', valueName: 'OPS', optionalValue: 'defaults', help: 'strip host-bound state: the default operations, or OPS like defaults,-tmp-files,+name (see amikit sysprep --list-operations)' },
  { name: 'dry-run', type: 'boolean', help: 'print what each customisation operation would change; write no image' },
  ...ALL_OPERATIONS.flatMap((op) =>
    op.options.map((option): OptionSpec => ({
      name: option.flag,
      type: option.type,
      ...(option.multiple ? { multiple: true } : {}),
      ...(option.valueName ? { valueName: option.valueName } : {}),
      help: option.help,
    })),
  ),
];

export interface CustomizeSetup {
  /** The build hook, or undefined when no customisation flag was given. */
  customize?: (tree: FileTree) => Promise<CustomizationReport>;
  dryRun: boolean;
}

/**
 * Reads the customisation flags and checks them (unknown operation, flag of a disabled operation, bad
 * syntax) before anything is read or written.
 */
export function customizeFrom(context: CommandContext): CustomizeSetup {
  const values: OptionValues = {};
  for (const option of CUSTOMIZE_OPTIONS) values[option.name] = context.values[option.name] as OptionValues[string];
  const sysprep = context.values.sysprep as string | undefined;
  const epoch = context.env.SOURCE_DATE_EPOCH;
  const plan = planCustomization({ ...(sysprep !== undefined ? { sysprep } : {}), values });
  const dryRun = context.values['dry-run'] === true;
  if (plan.operations.length === 0) return { dryRun };
  return {
    dryRun,
    customize: (tree) =>
      runCustomization(tree, plan, {
        ...(epoch ? { timestampSec: Number(epoch) } : {}),
        onWarning: (message) => context.warn(message),
      }),
  };
}

/** Loads the layers and runs the customisation in memory only: what `--dry-run` reports. */
export async function dryRunCustomization(layers: LoadTreeOptions, setup: CustomizeSetup): Promise<CustomizationReport> {
  const { loadTree } = await import('../../pipeline/load-tree.js');
  const loaded = await loadTree(layers);
  try {
    return setup.customize ? await setup.customize(loaded.tree) : { operations: [], kernelArguments: [], warnings: [] };
  } finally {
    await loaded.close();
  }
}

/** Human lines for a customisation report: one per change, then the kernel arguments to add. */
export function renderCustomizationReport(report: CustomizationReport, dryRun: boolean): string[] {
  const lines: string[] = [];
  for (const op of report.operations) {
    if (op.changes.length === 0) continue;
    lines.push(`${op.name}: ${op.changes.length} change${op.changes.length === 1 ? '' : 's'}${dryRun ? ' (dry run)' : ''}`);
    for (const change of op.changes) lines.push(`  ${change.action} ${change.path}${change.detail ? ` (${change.detail})` : ''}`);
  }
  if (report.kernelArguments.length > 0) lines.push(`kernel arguments for the boot entry: ${report.kernelArguments.join(' ')}`);
  return lines;
}
