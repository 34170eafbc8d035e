// TEMPORARY: binds to format/xattr.ts (being written in parallel) by signature until it lands.
const XATTR_MODULE = './format/xattr.js';
type Layout = (xattrs: ReadonlyMap<string, Buffer>, o: { inlineSpaceBytes: number; blockSizeBytes: number }) => { inlineArea: Buffer | null; block: Buffer | null };
type Seal = (block: Buffer, o: { blockNumber: number; fsSeed?: number; refcount: number }) => void;
const loaded = (await import(XATTR_MODULE).catch(() => undefined)) as { layoutXattrs: Layout; sealXattrBlock: Seal } | undefined;
export const layoutXattrs: Layout = (x, o) => {
  if (!loaded) throw new Error('xattr module not available yet');
  return loaded.layoutXattrs(x, o);
};
export const sealXattrBlock: Seal = (b, o) => {
  if (!loaded) throw new Error('xattr module not available yet');
  loaded.sealXattrBlock(b, o);
};
