// The facts `amikit inspect` reports about a root filesystem tree: OS, kernels and boot entries, users
// and their keys, swap, hostname, machine-id state, and what `--sysprep` would change (a dry run of the
// customisation registry on a copy of the tree). Only small configuration files are ever read.
import { ImageEditor } from '../customize/image-editor.js';
import { AmikitError } from '../shared/errors.js';
import { planCustomization, runCustomization, type CustomizationReport } from '../customize/customize-tree.js';
import type { CustomizeOperation } from '../customize/operation.js';
import { cloneTree } from '../tree/clone-tree.js';
import type { FileTree } from '../tree/file-tree.js';
import { displayPath } from '../tree/paths.js';
import { findBootEntries, findKernels, type BootEntryFact, type KernelFact } from './boot-facts.js';
import { optional, readOsRelease, type OsRelease } from './os-release.js';
import { findSwap, type SwapFacts } from './swap-facts.js';
import { resolveFile, textLines, treeText } from './tree-text.js';
import { findUsers, type UserFact } from './user-facts.js';

export interface MachineIdFact {
  /**
   * absent: no /etc/machine-id; empty: generated at first boot (what --sysprep leaves); uninitialized:
   * systemd's first-boot marker; set: a fixed ID every instance would share; invalid: anything else.
   */
  state: 'absent' | 'empty' | 'uninitialized' | 'set' | 'invalid';
  value?: string;
  /** /var/lib/dbus/machine-id: absent, a symlink (to /etc/machine-id, as it should be), or a file of its own. */
  dbus: 'absent' | 'symlink' | 'file' | 'other';
}

export interface SysprepPreview {
  /** The --sysprep selection previewed ("defaults" unless asked otherwise). */
  selection: string;
  /** Operations that would change something, with their changes. */
  operations: CustomizationReport['operations'];
  /** Total number of changes. */
  changes: number;
  kernelArguments: string[];
  warnings: string[];
  /** Why the preview stopped (e.g. a symlink that leaves the image): what `--sysprep` would refuse too. */
  error?: string;
}

export interface TreeFacts {
  os?: OsRelease;
  hostname?: string;
  machineId: MachineIdFact;
  kernels: KernelFact[];
  bootEntries: BootEntryFact[];
  users: UserFact[];
  swap: SwapFacts;
  sysprep: SysprepPreview;
}

export interface InspectTreeOptions {
  /** The EFI system partition's tree, when the image has one (its loader entries are reported). */
  esp?: FileTree;
  /** The --sysprep selection to preview; default "defaults". */
  sysprep?: string;
  /** The operations to choose from (default: the registry). */
  operations?: readonly CustomizeOperation[];
}

/** Gathers the facts; `tree` is not modified. */
export async function inspectTree(tree: FileTree, options: InspectTreeOptions = {}): Promise<TreeFacts> {
  const edit = new ImageEditor(tree, () => undefined, 0);
  const os = await readOsRelease(edit);
  const hostname = await readHostname(edit);
  return {
    ...optional('os', os),
    ...optional('hostname', hostname),
    machineId: await readMachineId(edit),
    kernels: findKernels(edit),
    bootEntries: await findBootEntries(edit, options.esp),
    users: await findUsers(edit),
    swap: await findSwap(edit),
    sysprep: await previewSysprep(tree, options.sysprep ?? 'defaults', options.operations),
  };
}

/** /etc/hostname's first name (comments and blank lines skipped, as systemd reads it), else SUSE's /etc/HOSTNAME. */
async function readHostname(edit: ImageEditor): Promise<string | undefined> {
  for (const path of ['/etc/hostname', '/etc/HOSTNAME']) {
    const file = await treeText(edit, path, 4096);
    if (!file) continue;
    const name = textLines(file.text).map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('#'));
    if (name !== undefined) return displayPath(name);
  }
  return undefined;
}

async function readMachineId(edit: ImageEditor): Promise<MachineIdFact> {
  let dbus: MachineIdFact['dbus'] = 'absent';
  try {
    const node = edit.lookup('/var/lib/dbus/machine-id');
    if (node) dbus = node.kind === 'symlink' ? 'symlink' : node.kind === 'file' ? 'file' : 'other';
  } catch {
    dbus = 'other';
  }
  if (!resolveFile(edit, '/etc/machine-id')) return { state: 'absent', dbus };
  const file = await treeText(edit, '/etc/machine-id', 4096);
  if (!file) return { state: 'invalid', dbus };
  const text = file.text.trim();
  if (text === '') return { state: 'empty', dbus };
  if (text === 'uninitialized') return { state: 'uninitialized', dbus };
  if (/^[0-9a-f]{32}$/.test(text)) return { state: 'set', value: text, dbus };
  return { state: 'invalid', value: displayPath(text.slice(0, 64)), dbus };
}

/**
 * Runs the selected strip operations on a copy of the tree and reports their changes: exactly what
 * `--sysprep=SELECTION` would do to this image. Operations only read the small files they edit.
 */
export async function previewSysprep(tree: FileTree, selection: string, operations?: readonly CustomizeOperation[]): Promise<SysprepPreview> {
  const plan = planCustomization({ sysprep: selection, ...(operations ? { operations } : {}) });
  let report: CustomizationReport;
  try {
    // A fixed timestamp: a preview reports changes, not times, and must not walk the tree for the newest mtime.
    report = await runCustomization(cloneTree(tree), plan, { timestampSec: 0 });
  } catch (error) {
    // The image's own content stopped the run (build would fail the same way): a fact, not a crash.
    if (!(error instanceof AmikitError) || !error.isBadInput) throw error;
    return { selection, operations: [], changes: 0, kernelArguments: [], warnings: [], error: error.message };
  }
  const changed = report.operations.filter((op) => op.changes.length > 0 || op.warnings.length > 0);
  return {
    selection,
    operations: changed,
    changes: changed.reduce((sum, op) => sum + op.changes.length, 0),
    kernelArguments: report.kernelArguments,
    warnings: report.warnings,
  };
}
