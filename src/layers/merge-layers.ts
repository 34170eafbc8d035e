// Merges layers top-down into one FileTree, implementing the OCI image-spec layer.md changeset rules
// ("Whiteouts", "Opaque Whiteout", "Hardlinks"): each path's final version is chosen without reading data.
import { AmikitError } from '../shared/errors.js';
import { FileTree } from '../tree/file-tree.js';
import { makeMeta, type DirNode, type Node, type NodeMeta } from '../tree/node.js';
import { archivePathKey, displayPath, nameToBytes } from '../tree/paths.js';
import type { Layer, LayerEntry, LayerWarning } from './layer.js';

export type MergeWarning = LayerWarning;

export interface MergeLayersOptions {
  onWarning?(warning: MergeWarning): void;
}

export interface MergeLayersResult {
  tree: FileTree;
  warnings: MergeWarning[];
  /** Directories no layer described (absolute paths, sorted): created 0755 root:root, mtime 0. */
  createdParents: string[];
}

const WHITEOUT_PREFIX = '.wh.';
/** AUFS bookkeeping names (`.wh..wh.plnk`, `.wh..wh.orph`) share this prefix; only the opaque marker means something. */
const WHITEOUT_META_PREFIX = '.wh..wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/**
 * A shared inode: every name of a hard-link group holds the same ref, so they end as one Node. A hard link
 * whose target lies in a lower layer is a pending ref until that layer is read (top-down order).
 */
interface InodeRef {
  node?: Node;
  alias?: InodeRef;
}

/** What the merged tree holds at a path so far. Keys are archive-relative byte strings joined by '/', root ''. */
type Placed =
  | { kind: 'dir'; meta: NodeMeta; implicit: boolean }
  | { kind: 'leaf'; ref: InodeRef };

/** An upper layer's hard link waiting for its target from the layers below `fromLayer`. */
interface Need {
  targetKey: string;
  fromLayer: number;
  ref: InodeRef;
  entry: LayerEntry;
  layerName: string;
}

/** A whiteout or opaque marker of one layer, kept with its tar position for same-layer checks. */
interface Marker {
  /** Whiteout: the path it removes from lower layers; opaque: the directory whose lower children it hides. */
  kind: 'whiteout' | 'opaque';
  targetKey: string;
  /** Key of the marker entry itself, for ancestor checks. */
  key: string;
  index: number;
  entry: LayerEntry;
}

/**
 * One layer, read into memory as metadata only (bounded by its entry count). Per-entry facts every member
 * has live in arrays indexed by tar position; rare ones (hard links) in maps.
 */
interface LayerState {
  layerIndex: number;
  name: string;
  entries: LayerEntry[];
  /** Normalised path key per entry index (undefined for markers and skipped names). */
  keyOf: (string | undefined)[];
  /** Winning entry index per path: the last occurrence in tar order. */
  finalByKey: Map<string, number>;
  /** For a hard link at index i: the last entry at its target path before i in tar order, if any. */
  earlierTargetOf: Map<number, number>;
  /** Normalised hard-link target key per hard-link entry index. */
  linkKeyOf: Map<number, string>;
  whiteouts: Set<string>;
  opaques: Set<string>;
  markers: Marker[];
  /** Directories implied by this layer's entries but not described by it. */
  implicitDirs: Set<string>;
  /** Winning entries dropped because a later entry of the same layer replaced an ancestor. */
  dropped: Set<number>;
  refs: (InodeRef | undefined)[];
}

/**
 * The key of a path's parent directory ('' for a top-level name). Ancestors are walked one parent at a
 * time and only as far as an answer needs: most members' parents are themselves members, so a walk
 * usually stops after one step instead of building every ancestor's key for every member.
 */
function parentKeyOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/** Keys of the proper ancestors of a path, root ('') first. For the rare paths that report an ancestor. */
function ancestorKeys(key: string): string[] {
  const keys: string[] = [];
  for (let at = key; at !== ''; ) {
    at = parentKeyOf(at);
    keys.push(at);
  }
  return keys.reverse();
}

function show(key: string): string {
  return displayPath('/' + key);
}

function isDirEntry(entry: LayerEntry): boolean {
  return entry.type === 'dir';
}

/**
 * Merges `layers` (bottom → top, as given on the command line). The top layer is read first; an entry of a
 * lower layer survives only when nothing above shadows it, so content deleted by an upper layer is never
 * referenced, let alone read. Memory grows with the number of entries, never with data size.
 * @throws AmikitError INPUT_FORMAT (`.wh.` alone), INPUT_UNSAFE (paths escaping the image, writes through a
 *   same-layer symlink), LAYER_MERGE (bad hard links, non-directory parents in one layer).
 */
export async function mergeLayers(layers: Layer[], options: MergeLayersOptions = {}): Promise<MergeLayersResult> {
  const warnings: MergeWarning[] = [];
  const warn = (code: string, key: string, message: string): void => {
    const warning = { code, path: show(key), message };
    warnings.push(warning);
    options.onWarning?.(warning);
  };

  const placed = new Map<string, Placed>();
  placed.set('', { kind: 'dir', meta: makeMeta({ mode: 0o755 }), implicit: true });
  /** Lower entries at these paths or below are hidden (whiteouts, and any layer's non-directory). */
  const hidden = new Set<string>();
  /** Lower entries strictly below these directories are hidden (opaque markers). */
  const opaque = new Set<string>();
  /** Hard links waiting for a lower layer, grouped by target path so each path is checked once per layer. */
  let pending = new Map<string, Need[]>();

  for (let layerIndex = layers.length - 1; layerIndex >= 0; layerIndex--) {
    const layer = layers[layerIndex]!;
    const state = await readLayerState(layer, layerIndex, warn);
    const newNeeds: Need[] = [];

    // Hard links of upper layers whose target this layer provides (or removes).
    const stillPending = new Map<string, Need[]>();
    for (const [targetKey, needs] of pending) {
      const first = needs[0]!;
      if (!satisfyNeed(first, state, newNeeds)) {
        stillPending.set(targetKey, needs);
        continue;
      }
      for (const need of needs) need.ref.alias = first.ref.alias!;
    }
    pending = stillPending;

    // Entries visible through the upper layers' masks. The masks of this layer apply to lower layers only.
    const isMaskedAbove = (key: string): boolean => {
      if (hidden.size === 0 && opaque.size === 0) return false; // the top layer
      for (let at = key; at !== ''; ) {
        at = parentKeyOf(at);
        if (hidden.has(at) || opaque.has(at)) return true;
      }
      return false;
    };
    const visibleKeys: string[] = [];
    for (const [key, index] of state.finalByKey) {
      if (state.dropped.has(index)) continue;
      const entry = state.entries[index]!;
      if (key !== '' && (isMaskedAbove(key) || hidden.has(key))) continue;
      const existing = placed.get(key);
      if (existing) {
        if (existing.kind === 'dir' && existing.implicit) {
          if (isDirEntry(entry)) {
            // A provisional parent takes the metadata of the highest lower layer that describes it.
            placed.set(key, { kind: 'dir', meta: entry.meta, implicit: false });
          } else if (key !== '') {
            warn(
              'implicit-dir-over-non-dir',
              key,
              `${entry.where}: ${entry.type} '${show(key)}' is replaced by a directory that upper-layer entries imply`,
            );
          }
        }
        continue;
      }
      if (isDirEntry(entry)) {
        placed.set(key, { kind: 'dir', meta: entry.meta, implicit: false });
      } else {
        placed.set(key, { kind: 'leaf', ref: refForEntry(state, index, newNeeds) });
      }
      visibleKeys.push(key);
    }
    for (const marker of state.markers) {
      if (!isMaskedAbove(marker.key)) visibleKeys.push(marker.key);
    }
    // Parents this layer implies but does not describe: provisional until a lower layer describes them.
    // A walk stops at the first placed parent: an upper layer placed that one's parents already, and one
    // placed by this layer is itself a visible key whose walk is in this loop.
    for (const key of visibleKeys) {
      for (let at = key; at !== ''; ) {
        at = parentKeyOf(at);
        if (placed.has(at)) break;
        placed.set(at, { kind: 'dir', meta: implicitDirMeta(), implicit: true });
      }
    }

    for (const key of state.whiteouts) hidden.add(key);
    for (const key of state.opaques) opaque.add(key);
    for (const [key, index] of state.finalByKey) {
      if (!state.dropped.has(index) && !isDirEntry(state.entries[index]!)) hidden.add(key);
    }
    for (const need of newNeeds) {
      const group = pending.get(need.targetKey);
      if (group) group.push(need);
      else pending.set(need.targetKey, [need]);
    }
  }

  const unresolved = pending.values().next().value?.[0];
  if (unresolved) {
    throw linkError(unresolved.entry, unresolved.layerName, unresolved.targetKey, 'no layer provides the target');
  }
  return buildTree(placed, warnings);
}

function implicitDirMeta(): NodeMeta {
  return makeMeta({ mode: 0o755, uid: 0, gid: 0 });
}

/** Reads one layer's entries (metadata only), classifies whiteouts, resolves duplicates and checks nesting. */
async function readLayerState(
  layer: Layer,
  layerIndex: number,
  warn: (code: string, key: string, message: string) => void,
): Promise<LayerState> {
  const state: LayerState = {
    layerIndex,
    name: layer.name,
    entries: [],
    keyOf: [],
    finalByKey: new Map(),
    earlierTargetOf: new Map(),
    linkKeyOf: new Map(),
    whiteouts: new Set(),
    opaques: new Set(),
    markers: [],
    implicitDirs: new Set(),
    dropped: new Set(),
    refs: [],
  };
  for await (const batch of layer.entryBatches()) {
    for (const entry of batch) {
      const index = state.entries.length;
      state.entries.push(entry);
      state.keyOf.push(undefined);
      const key = archivePathKey(entry.path, () => entry.where);
      const slash = key.lastIndexOf('/');
      if (key.startsWith(WHITEOUT_PREFIX) ? slash >= 0 : key.lastIndexOf(`/${WHITEOUT_PREFIX}`, slash - 1) >= 0) {
        const under = key.split('/').find((part) => part.startsWith(WHITEOUT_PREFIX))!;
        throw new AmikitError(
          'INPUT_FORMAT',
          `${entry.where}: '${displayPath(entry.path)}' lies under whiteout name '${displayPath(under)}'`,
          { data: { layer: layer.name, path: displayPath(entry.path) } },
        );
      }
      const name = key === '' ? undefined : key.slice(slash + 1);
      if (name !== undefined && name.startsWith(WHITEOUT_PREFIX)) {
        if (name === WHITEOUT_PREFIX) {
          throw new AmikitError('INPUT_FORMAT', `${entry.where}: whiteout '${displayPath(entry.path)}' names nothing`, {
            data: { layer: layer.name, path: displayPath(entry.path) },
          });
        }
        const parentKey = parentKeyOf(key);
        if (name === OPAQUE_MARKER) {
          state.markers.push({ kind: 'opaque', targetKey: parentKey, key, index, entry });
        } else if (name.startsWith(WHITEOUT_META_PREFIX)) {
          warn('whiteout-meta-skipped', key, `${entry.where}: skipped AUFS metadata entry '${displayPath(entry.path)}'`);
        } else {
          const target = name.slice(WHITEOUT_PREFIX.length);
          state.markers.push({ kind: 'whiteout', targetKey: parentKey === '' ? target : `${parentKey}/${target}`, key, index, entry });
        }
        continue;
      }
      if (key === '' && entry.type !== 'dir') {
        throw new AmikitError('LAYER_MERGE', `${entry.where}: the image root must be a directory, not a ${entry.type}`, {
          data: { layer: layer.name, path: '/' },
        });
      }
      if (entry.type === 'hardlink') {
        if (entry.linkTarget === undefined) {
          throw new AmikitError('INPUT_FORMAT', `${entry.where}: hard link '${displayPath(entry.path)}' has no target`, {
            data: { layer: layer.name, path: displayPath(entry.path) },
          });
        }
        const linkKey = archivePathKey(entry.linkTarget, () => entry.where);
        state.linkKeyOf.set(index, linkKey);
        // finalByKey holds, so far, the last entry at each path in tar order: what the link points at.
        const earlier = state.finalByKey.get(linkKey);
        if (earlier !== undefined) state.earlierTargetOf.set(index, earlier);
      }
      if (entry.type === 'symlink' && entry.linkTarget === undefined) {
        throw new AmikitError('INPUT_FORMAT', `${entry.where}: symlink '${displayPath(entry.path)}' has no target`, {
          data: { layer: layer.name, path: displayPath(entry.path) },
        });
      }
      state.keyOf[index] = key;
      const previous = state.finalByKey.get(key);
      if (previous !== undefined) {
        const before = state.entries[previous]!;
        const what = before.type === 'dir' && entry.type === 'dir' ? 'directory attributes taken from the last' : 'the last one wins';
        warn('duplicate-entry', key, `${entry.where}: '${show(key)}' appears more than once in ${layer.name}; ${what}`);
        state.finalByKey.delete(key); // re-insert so iteration follows the winner's tar position
      }
      state.finalByKey.set(key, index);
    }
  }

  // Nesting inside one layer: nothing may sit under the layer's own symlink (that would write through it),
  // and an entry under a non-directory is only acceptable when the non-directory replaced it later.
  // What matters is the topmost ancestor this layer describes as a non-directory; it is found once per
  // directory (memoised as "the topmost non-directory at or above it", null for none), not per member.
  const topNonDirAtOrAbove = new Map<string, string | null>([['', null]]);
  const topNonDirAbove = (key: string): string | undefined => {
    if (key === '') return undefined;
    const unknown: string[] = [];
    let at = parentKeyOf(key);
    let known = topNonDirAtOrAbove.get(at);
    while (known === undefined) {
      unknown.push(at);
      at = parentKeyOf(at);
      known = topNonDirAtOrAbove.get(at);
    }
    for (let i = unknown.length - 1; i >= 0; i--) {
      const dirKey = unknown[i]!;
      if (known === null) {
        const describedAt = state.finalByKey.get(dirKey);
        if (describedAt !== undefined && !isDirEntry(state.entries[describedAt]!)) known = dirKey;
      }
      topNonDirAtOrAbove.set(dirKey, known);
    }
    return known ?? undefined;
  };
  const checkNesting = (key: string, index: number, entry: LayerEntry): boolean => {
    const ancestor = topNonDirAbove(key);
    if (ancestor !== undefined) {
      const ancestorIndex = state.finalByKey.get(ancestor)!;
      const ancestorEntry = state.entries[ancestorIndex]!;
      if (ancestorEntry.type === 'symlink') {
        throw new AmikitError(
          'INPUT_UNSAFE',
          `${entry.where}: '${displayPath(entry.path)}' lies under symlink '${show(ancestor)}' of the same layer; refusing to write through it`,
          { data: { layer: layer.name, path: displayPath(entry.path), symlink: show(ancestor) } },
        );
      }
      if (ancestorIndex > index) {
        warn(
          'replaced-in-layer',
          key,
          `${entry.where}: '${displayPath(entry.path)}' dropped: ${ancestorEntry.where} replaces '${show(ancestor)}' with a ${ancestorEntry.type}`,
        );
        return false;
      }
      throw new AmikitError(
        'LAYER_MERGE',
        `${entry.where}: '${displayPath(entry.path)}' lies under ${ancestorEntry.type} '${show(ancestor)}' of the same layer`,
        { data: { layer: layer.name, path: displayPath(entry.path), parent: show(ancestor) } },
      );
    }
    return true;
  };
  for (const [key, index] of state.finalByKey) {
    if (!checkNesting(key, index, state.entries[index]!)) state.dropped.add(index);
  }
  // Whiteouts and opaque markers act whatever their tar position, so they are collected as sets.
  const keptMarkers: Marker[] = [];
  for (const marker of state.markers) {
    if (!checkNesting(marker.key, marker.index, marker.entry)) continue;
    keptMarkers.push(marker);
    (marker.kind === 'opaque' ? state.opaques : state.whiteouts).add(marker.targetKey);
  }
  state.markers = keptMarkers;

  // A walk stops at a described parent (a kept entry's described parents are kept, and note their own
  // parents) or at one already noted (whose parents were noted with it).
  const noteParents = (key: string): void => {
    for (let at = key; at !== ''; ) {
      at = parentKeyOf(at);
      if (at === '' || state.finalByKey.has(at) || state.implicitDirs.has(at)) return;
      state.implicitDirs.add(at);
    }
  };
  for (const [key, index] of state.finalByKey) {
    if (!state.dropped.has(index)) noteParents(key);
  }
  for (const marker of state.markers) noteParents(marker.key);
  return state;
}

/**
 * The inode of entry `index` of a layer: a new node for files, symlinks and special files; for a hard link,
 * the ref of its target — an earlier entry of the same layer (even one shadowed later), else a pending need
 * resolved against the layers below.
 */
function refForEntry(state: LayerState, index: number, newNeeds: Need[]): InodeRef {
  const known = state.refs[index];
  if (known) return known;
  const entry = state.entries[index]!;
  let ref: InodeRef;
  if (entry.type === 'hardlink') {
    const targetKey = state.linkKeyOf.get(index)!;
    const earlier = state.earlierTargetOf.get(index);
    if (earlier !== undefined) {
      const target = state.entries[earlier]!;
      if (isDirEntry(target)) throw linkError(entry, state.name, targetKey, `${target.where} is a directory`);
      ref = refForEntry(state, earlier, newNeeds);
    } else {
      const ownKey = state.keyOf[index]!;
      if (targetKey === ownKey) throw linkError(entry, state.name, targetKey, 'a hard link cannot name itself');
      ref = {};
      newNeeds.push({ targetKey, fromLayer: state.layerIndex, ref, entry, layerName: state.name });
    }
  } else {
    ref = { node: nodeFromEntry(entry) };
  }
  state.refs[index] = ref;
  return ref;
}

/**
 * Resolves an upper layer's hard link against this layer: its entry at the target path, if any, is what the
 * link saw (even if an upper layer or the link's own layer hides that name now). Returns false when the
 * target lies further down.
 */
function satisfyNeed(need: Need, state: LayerState, newNeeds: Need[]): boolean {
  const index = state.finalByKey.get(need.targetKey);
  if (index !== undefined && state.dropped.has(index)) {
    throw linkError(need.entry, need.layerName, need.targetKey, `${state.name} replaces a parent of it`);
  }
  if (index !== undefined) {
    const target = state.entries[index]!;
    if (isDirEntry(target)) throw linkError(need.entry, need.layerName, need.targetKey, `${target.where} is a directory`);
    need.ref.alias = refForEntry(state, index, newNeeds);
    return true;
  }
  if (need.targetKey === '' || state.implicitDirs.has(need.targetKey)) {
    throw linkError(need.entry, need.layerName, need.targetKey, `it is a directory in ${state.name}`);
  }
  const removedBy = (key: string): boolean => {
    if (state.whiteouts.has(key)) return true;
    const at = state.finalByKey.get(key);
    return at !== undefined && !isDirEntry(state.entries[at]!);
  };
  if (state.whiteouts.has(need.targetKey)) {
    throw linkError(need.entry, need.layerName, need.targetKey, `${state.name} removes it and no lower layer re-creates it`);
  }
  for (const key of ancestorKeys(need.targetKey)) {
    if (state.opaques.has(key) || (key !== '' && removedBy(key))) {
      throw linkError(need.entry, need.layerName, need.targetKey, `its parent '${show(key)}' is not a directory or is cleared in ${state.name}`);
    }
  }
  return false;
}

function linkError(entry: LayerEntry, layerName: string, targetKey: string, why: string): AmikitError {
  return new AmikitError(
    'LAYER_MERGE',
    `${entry.where}: hard link '${displayPath(entry.path)}' -> '${show(targetKey)}': ${why}`,
    { data: { layer: layerName, path: displayPath(entry.path), target: show(targetKey) } },
  );
}

function nodeFromEntry(entry: LayerEntry): Node {
  switch (entry.type) {
    case 'file': {
      const content = entry.content ?? (entry.sizeBytes === 0 ? { kind: 'bytes' as const, bytes: Buffer.alloc(0) } : undefined);
      if (!content) {
        throw new AmikitError('INTERNAL', `${entry.where}: file '${displayPath(entry.path)}' has no content reference`);
      }
      return entry.segments
        ? { kind: 'file', meta: entry.meta, sizeBytes: entry.sizeBytes, content, segments: entry.segments }
        : { kind: 'file', meta: entry.meta, sizeBytes: entry.sizeBytes, content };
    }
    case 'symlink':
      return { kind: 'symlink', meta: entry.meta, target: nameToBytes(entry.linkTarget ?? '') };
    case 'char-device':
    case 'block-device':
      return { kind: entry.type, meta: entry.meta, major: entry.devMajor, minor: entry.devMinor };
    case 'fifo':
    case 'socket':
      return { kind: entry.type, meta: entry.meta };
    case 'dir':
    case 'hardlink':
      throw new AmikitError('INTERNAL', `${entry.where}: ${entry.type} has no inode of its own`);
  }
}

function resolveRef(ref: InodeRef): Node | undefined {
  let current = ref;
  for (let hops = 0; current.alias && hops < 1_000_000; hops++) current = current.alias;
  return current.node;
}

function buildTree(placed: Map<string, Placed>, warnings: MergeWarning[]): MergeLayersResult {
  const rootPlaced = placed.get('')!;
  const root: DirNode = { kind: 'dir', meta: rootPlaced.kind === 'dir' ? rootPlaced.meta : makeMeta(), children: new Map() };
  const tree = new FileTree(root);
  const dirs = new Map<string, DirNode>([['', root]]);
  const createdParents: string[] = [];
  // Parents are strict prefixes of their children, so shorter keys first places every parent in time.
  const keys = [...placed.keys()].filter((key) => key !== '').sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  for (const key of keys) {
    const item = placed.get(key)!;
    const slash = key.lastIndexOf('/');
    const parent = dirs.get(slash < 0 ? '' : key.slice(0, slash));
    if (!parent) throw new AmikitError('INTERNAL', `merge: parent of ${show(key)} was not placed`);
    const name = slash < 0 ? key : key.slice(slash + 1);
    let node: Node;
    if (item.kind === 'dir') {
      const dir: DirNode = { kind: 'dir', meta: item.meta, children: new Map() };
      dirs.set(key, dir);
      node = dir;
      if (item.implicit) createdParents.push('/' + key);
    } else {
      const resolved = resolveRef(item.ref);
      if (!resolved) throw new AmikitError('INTERNAL', `merge: hard link at ${show(key)} was never resolved`);
      node = resolved;
    }
    parent.children.set(name, node);
  }
  createdParents.sort();
  return { tree, warnings, createdParents };
}
