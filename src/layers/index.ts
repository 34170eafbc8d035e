// Public surface of the layers stage: open inputs of any supported kind, then merge them top-down.
export type { Layer, LayerEntry, LayerEntryType, LayerWarning } from './layer.js';
export { mergeLayers, type MergeLayersOptions, type MergeLayersResult, type MergeWarning } from './merge-layers.js';
export { openLayers, type OpenLayersOptions, type OpenedLayers } from './open-layers.js';
export { TarLayer, type TarLayerOptions } from './tar-layer.js';
export { DirectoryLayer, type DirectoryLayerOptions } from './directory-layer.js';
export { openOciLayout, parsePlatform, platformMatches, type Platform, type OpenImageOptions, type OpenedImage } from './oci-layout.js';
export { openDockerArchive, type DockerArchiveOptions } from './docker-archive.js';
export { directoryImageFiles, tarImageFiles, type ImageFiles } from './image-files.js';
