// A structural copy of a tree for trial edits (a dry run, "what would sysprep change"): every node and
// metadata record is new, hard-link groups stay groups, and file contents are shared, never copied.
import { FileTree } from './file-tree.js';
import type { Node, NodeMeta } from './node.js';

export function cloneTree(tree: FileTree): FileTree {
  const copies = new Map<Node, Node>();
  const copy = (node: Node): Node => {
    const done = copies.get(node);
    if (done) return done;
    let result: Node;
    if (node.kind === 'dir') {
      const children = new Map<string, Node>();
      result = { kind: 'dir', meta: cloneMeta(node.meta), children };
      copies.set(node, result);
      for (const [name, child] of node.children) children.set(name, copy(child));
      return result;
    }
    if (node.kind === 'file') {
      result = { ...node, meta: cloneMeta(node.meta), ...(node.segments ? { segments: node.segments.map((s) => ({ ...s })) } : {}) };
    } else {
      result = { ...node, meta: cloneMeta(node.meta) };
    }
    copies.set(node, result);
    return result;
  };
  return new FileTree(copy(tree.root) as FileTree['root']);
}

function cloneMeta(meta: NodeMeta): NodeMeta {
  return { ...meta, mtime: { ...meta.mtime }, atime: { ...meta.atime }, ctime: { ...meta.ctime }, xattrs: new Map(meta.xattrs) };
}
