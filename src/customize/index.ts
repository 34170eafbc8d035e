// Public surface of the customisation stage: the registry, the selection algebra and the driver.
export * from './operation.js';
export { ALL_OPERATIONS, checkRegistry } from './registry.js';
export { selectOperations } from './select.js';
export { customizeTree, planCustomization, runCustomization, type CustomizeOptions, type CustomizationPlan, type CustomizationReport } from './customize-tree.js';
export { ImageEditor } from './image-editor.js';
export { renderOperationsList, renderOperationsTable } from './operations-table.js';
