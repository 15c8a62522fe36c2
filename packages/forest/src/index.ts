export { Rng } from '@pdm/random';
export * from './errors.ts';
export * from './forest.ts';
export * from './label-encoder.ts';
export * from './matrix.ts';
export * from './metrics.ts';
export * from './model.ts';
export * from './model-files.ts';
export {
  type EncodeOptions,
  encodeOnnx,
  encodeRegressor,
  exportOnnx,
  modelCard,
  ONNX_INPUT,
  ONNX_OUTPUT_LABEL,
  ONNX_OUTPUT_PROBABILITY,
  ONNX_OUTPUT_VARIABLE,
  type OutputLayout,
  type TwoClassLeaves,
} from './onnx/export.ts';
export {
  type OnnxGraph,
  type OnnxNode,
  readOnnxGraph,
  type UnzippedOutput,
  unzipMapOutputs,
} from './onnx/graph.ts';
export {
  hashTrainingData,
  MODEL_FORMAT,
  MODEL_TASKS,
  type ModelCard,
  type ModelMetadata,
  type ModelTask,
  propsToCard,
  type RegressionMetadata,
  readOnnxMetadata,
} from './onnx/metadata.ts';
/** the protobuf encoder behind the export, for tools and tests that build other ONNX graphs */
export { ProtoWriter } from './onnx/protobuf-writer.ts';
export * from './scaler.ts';
export * from './synthetic.ts';
export type { DecisionTree } from './tree.ts';
