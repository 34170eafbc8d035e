// Runs customisation on a merged tree: the selected strip operations first, then the injection operations
// whose flags were given, each in (order, name) order, and reports every change (what --dry-run prints).
import { readFile, stat } from 'node:fs/promises';
import { AmikitError, ioError } from '../shared/errors.js';
import type { FileTree } from '../tree/file-tree.js';
import { ImageEditor } from './image-editor.js';
import type { CustomizeOperation, OperationReport, OptionValues } from './operation.js';
import { ALL_OPERATIONS } from './registry.js';
import { readSelinuxState } from './selinux.js';
import { selectOperations } from './select.js';

export interface CustomizeOptions {
  /** `--sysprep` value: undefined = no stripping; "" or "defaults" = the default set; else the algebra of select.ts. */
  sysprep?: string;
  /** Flag values by flag name (`ssh-key`, `file`, `sysprep-remove-secrets`, …). */
  values?: OptionValues;
  /** mtime of created and edited inodes; default: the newest mtime already in the tree (no wall clock). */
  timestampSec?: number;
  /** Reads a host file named by a flag (default: fs.readFile). */
  readHostFile?: (path: string) => Promise<Buffer>;
  /** The mode of a host file named by a flag (default: fs.stat). */
  statHostFile?: (path: string) => Promise<{ mode: number }>;
  onWarning?: (message: string) => void;
  /** The operations to choose from (default: the registry). */
  operations?: readonly CustomizeOperation[];
}

export interface CustomizationPlan {
  /** Operations to run, in run order. */
  operations: CustomizeOperation[];
  values: OptionValues;
}

export interface CustomizationReport {
  operations: OperationReport[];
  /** Kernel arguments the boot entry written later must carry (e.g. "noresume" after swap removal). */
  kernelArguments: string[];
  warnings: string[];
}

/** True when a flag value asks for something (set, true, or a non-empty list). */
export function isGiven(value: OptionValues[string]): boolean {
  return value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0);
}

/**
 * Chooses and orders the operations and checks every flag before any layer is read.
 * @throws AmikitError USAGE on an unknown operation, a flag of an operation that will not run, or a bad value.
 */
export function planCustomization(options: CustomizeOptions): CustomizationPlan {
  const registry = options.operations ?? ALL_OPERATIONS;
  const values = options.values ?? {};
  const stripNames = new Set(options.sysprep === undefined ? [] : selectOperations(options.sysprep, registry));
  const chosen: CustomizeOperation[] = [];
  for (const op of registry) {
    const given = op.options.filter((option) => isGiven(values[option.flag]));
    const runs = op.kind === 'strip' ? stripNames.has(op.name) : given.length > 0;
    if (!runs && given.length > 0) {
      // virt-sysprep's not_enabled_check_args: an option of an operation that will not run is a mistake.
      throw new AmikitError('USAGE', `--${given[0]!.flag} belongs to the '${op.name}' operation, which is not enabled (add it with --sysprep=defaults,+${op.name})`, {
        data: { operation: op.name, flag: given[0]!.flag },
      });
    }
    if (!runs) continue;
    op.validate?.(values);
    chosen.push(op);
  }
  const rank = (op: CustomizeOperation): number => (op.kind === 'strip' ? 0 : 1000) + (op.order ?? 50);
  chosen.sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { operations: chosen, values };
}

/** Plans and runs customisation on `tree` in place. */
export async function customizeTree(tree: FileTree, options: CustomizeOptions): Promise<CustomizationReport> {
  return runCustomization(tree, planCustomization(options), options);
}

export async function runCustomization(tree: FileTree, plan: CustomizationPlan, options: CustomizeOptions = {}): Promise<CustomizationReport> {
  const timestampSec = options.timestampSec ?? newestMtimeSec(tree);
  const readHost = options.readHostFile ?? ((path: string) => readFile(path));
  const statHost = options.statHostFile ?? ((path: string) => stat(path));
  const hostError = (path: string, flag: string, error: unknown): AmikitError => {
    const wrapped = ioError('read', path, error);
    return new AmikitError(wrapped.code, `--${flag}: ${wrapped.message}`, { data: { path, flag }, cause: error });
  };
  const kernelArguments: string[] = [];
  const warnings: string[] = [];
  const reports: OperationReport[] = [];
  let relabel = false;
  for (const op of plan.operations) {
    const report: OperationReport = { name: op.name, changes: [], warnings: [] };
    reports.push(report);
    const edit = new ImageEditor(tree, (change) => report.changes.push(change), timestampSec);
    await op.apply(tree, {
      values: plan.values,
      edit,
      timestampSec,
      async readHostFile(path, flag) {
        try {
          return await readHost(path);
        } catch (error) {
          throw hostError(path, flag, error);
        }
      },
      async hostFileMode(path, flag) {
        try {
          // Set-id and sticky bits are never carried over (a builder's setuid file must not become root's).
          return (await statHost(path)).mode & 0o777;
        } catch (error) {
          throw hostError(path, flag, error);
        }
      },
      warn(message) {
        report.warnings.push(message);
        warnings.push(`${op.name}: ${message}`);
        options.onWarning?.(`${op.name}: ${message}`);
      },
      addKernelArgument(argument) {
        if (!kernelArguments.includes(argument)) kernelArguments.push(argument);
      },
      requestRelabel() {
        relabel = true;
      },
    });
  }
  if (relabel) {
    // Inodes we created without a label: setfiles-at-boot via /.autorelabel, as virt-customize falls back to.
    const report: OperationReport = { name: 'selinux-autorelabel', changes: [], warnings: [] };
    const edit = new ImageEditor(tree, (change) => report.changes.push(change), timestampSec);
    if ((await readSelinuxState(edit)).inUse && edit.lookup('/.autorelabel') === undefined) {
      edit.writeFile('/.autorelabel', Buffer.alloc(0), { mode: 0o644 });
      reports.push(report);
    }
  }
  return { operations: reports, kernelArguments, warnings };
}

/** The newest mtime (seconds) in the tree: a timestamp that depends only on the inputs. */
export function newestMtimeSec(tree: FileTree): number {
  let newest = 0;
  for (const { node } of tree.walk()) if (node.meta.mtime.sec > newest) newest = node.meta.mtime.sec;
  return newest;
}
