// A golden listing of a merged tree with file contents read through their references (so it proves the
// references point at the right bytes): `path kind mode uid:gid detail [#n]`.
import type { FileTree } from '../../src/tree/file-tree.js';
import type { Node } from '../../src/tree/node.js';
import { displayPath } from '../../src/tree/paths.js';
import { readWholeContent } from '../../src/tree/read-content.js';

export async function listTreeWithContent(tree: FileTree): Promise<string[]> {
  const counts = new Map<Node, number>();
  for (const { node } of tree.walk()) counts.set(node, (counts.get(node) ?? 0) + 1);
  const tags = new Map<Node, number>();
  const lines: string[] = [];
  for (const { path, node } of tree.walk()) {
    let detail = '';
    if (node.kind === 'file') detail = ` ${JSON.stringify((await readWholeContent(node)).toString('latin1'))}`;
    else if (node.kind === 'symlink') detail = ` -> ${node.target.toString('latin1')}`;
    else if (node.kind === 'char-device' || node.kind === 'block-device') detail = ` ${node.major},${node.minor}`;
    let tag = '';
    if ((counts.get(node) ?? 0) > 1) {
      if (!tags.has(node)) tags.set(node, tags.size + 1);
      tag = ` #${tags.get(node)}`;
    }
    const mode = node.meta.mode.toString(8).padStart(4, '0');
    lines.push(`${displayPath(path)} ${node.kind} ${mode} ${node.meta.uid}:${node.meta.gid}${detail}${tag}`);
  }
  return lines;
}
