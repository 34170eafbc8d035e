// amikit's public library API: a curated list of re-exports, no logic. The CLI is built on exactly these.
export { AmikitError, type ErrorCode } from './shared/errors.js';
export { parseSizeBytes, formatBytes, EBS_BLOCK_SIZE_BYTES, KiB, MiB, GiB } from './shared/units.js';
export { FileTree, type WalkEntry } from './tree/file-tree.js';
export type { Node, NodeKind, NodeMeta, FileNode, DirNode, SymlinkNode, DeviceNode, SpecialNode, Timespec, Content, DataSegment } from './tree/node.js';
export type { ByteSource } from './tree/byte-source.js';
export { loadTree, type LoadTreeOptions, type LoadedTree } from './pipeline/load-tree.js';
export { flattenLayers, type FlattenLayersOptions, type FlattenLayersResult } from './pipeline/flatten-layers.js';
export { buildImage, type BuildImageOptions, type BuildImageResult } from './pipeline/build-image.js';
export type { ProgressEvent, ProgressListener } from './pipeline/progress-event.js';
export { writeExt4, writePlannedExt4 } from './ext4/write-ext4.js';
export { planExt4, type Ext4Plan } from './ext4/plan-ext4.js';
export type { Ext4Options, Ext4Target, Ext4Result, WrittenRange } from './ext4/ext4-options.js';
export { openLayers } from './layers/open-layers.js';
export { mergeLayers } from './layers/merge-layers.js';
export { readTarEntries } from './layers/tar/read-tar-entries.js';
export { TarWriter } from './layers/tar/tar-writer.js';
export {
  ALL_OPERATIONS,
  selectOperations,
  customizeTree,
  planCustomization,
  runCustomization,
  ImageEditor,
  renderOperationsList,
  renderOperationsTable,
  type CustomizeOperation,
  type OperationContext,
  type OperationReport,
  type CustomizeOptions,
  type CustomizationPlan,
  type CustomizationReport,
} from './customize/index.js';
export { uploadImage, type UploadImageOptions, type UploadImageResult } from './pipeline/upload-image.js';
export { downloadSnapshot, type DownloadSnapshotOptions, type DownloadSnapshotResult } from './pipeline/download-snapshot.js';
export { createAwsClients, type AwsClients, type AwsClientsOptions } from './aws/aws-clients.js';
export { SnapshotSink, type SnapshotSinkOptions, type SnapshotUploadResult, type SnapshotTag } from './aws/ebs/snapshot-sink.js';
