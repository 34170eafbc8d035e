// The customisation operation contract (the virt-sysprep operation record, adapted): a declarative
// record with a name, a one-line summary, typed options and an `apply` that edits the in-memory tree.
import type { FileTree } from '../tree/file-tree.js';
import type { ImageEditor } from './image-editor.js';

/** Stripping removes host-bound state and runs first; injection adds what the user asked for and runs last. */
export type OperationKind = 'strip' | 'inject';

/** One command-line flag an operation owns. CLI flags, help and the README table are generated from these. */
export interface OperationOption {
  /** Long flag name without dashes, e.g. "ssh-key". */
  flag: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Placeholder shown in help, e.g. "USER=PUBKEYFILE". */
  valueName?: string;
  /** One line, no final period. */
  help: string;
}

/** Parsed values of an operation's own flags, keyed by flag name. */
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface ChangeRecord {
  action: 'removed' | 'created' | 'modified';
  /** Display form of the image path. */
  path: string;
  /** What changed, when the action alone does not say (e.g. "2 lines dropped"). */
  detail?: string;
}

export interface OperationReport {
  name: string;
  changes: ChangeRecord[];
  warnings: string[];
}

export interface OperationContext {
  /** Values of every customisation flag by flag name (an operation reads its own, and may read others'). */
  values: OptionValues;
  /** Edits the image, chroot-style and never through an escaping symlink; records each change. */
  edit: ImageEditor;
  /** mtime for created and edited inodes: SOURCE_DATE_EPOCH, else the newest mtime of the input tree. */
  timestampSec: number;
  /** Reads a file on the build host (keys, files to upload); errors name the flag. */
  readHostFile(path: string, flag: string): Promise<Buffer>;
  /** Permission bits (0o777 at most) of a file on the build host; errors name the flag. */
  hostFileMode(path: string, flag: string): Promise<number>;
  warn(message: string): void;
  /** Records a kernel command-line argument the boot entry written later must carry (e.g. "noresume"). */
  addKernelArgument(argument: string): void;
  /** Asks for /.autorelabel once at the end when the image uses SELinux and an inode has no label. */
  requestRelabel(): void;
}

export interface CustomizeOperation {
  /** kebab-case, unique; validated by the registry. */
  name: string;
  kind: OperationKind;
  /** Strip operations only: part of `--sysprep` with no list (the "defaults" set). */
  enabledByDefault: boolean;
  /** One line, lower-case start, no final period (listed by `amikit sysprep --list-operations`). */
  summary: string;
  /** A few sentences for the README table: exactly what is touched. */
  description: string;
  options: readonly OperationOption[];
  /** Position within its kind; lower first, ties broken by name. Default 50. */
  order?: number;
  /** Checks the syntax of this operation's flag values before any layer is read. @throws AmikitError USAGE */
  validate?(values: OptionValues): void;
  /**
   * Edits the tree and records what changed through `context.edit`. Must be idempotent: a second run
   * changes nothing. Strip operations run when selected with `--sysprep`; injection operations run when
   * any of their flags is given.
   */
  apply(tree: FileTree, context: OperationContext): Promise<void>;
}
