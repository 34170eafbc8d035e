// Public surface of the tree stage.
export * from './node.js';
export * from './byte-source.js';
export * from './paths.js';
export * from './file-tree.js';
export * from './read-content.js';
export * from './clamp-times.js';
export * from './clone-tree.js';
