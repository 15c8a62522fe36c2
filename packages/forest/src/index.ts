export { Rng } from '@pdm/random';
export * from './errors.ts';
export * from './forest.ts';
export * from './label-encoder.ts';
export * from './matrix.ts';
export * from './metrics.ts';
export * from './model.ts';
export * from './model-files.ts';
export {
  exportOnnx,
  modelCard,
  ONNX_INPUT,
  ONNX_OUTPUT_LABEL,
  ONNX_OUTPUT_PROBABILITY,
} from './onnx/export.ts';
export {
  hashTrainingData,
  MODEL_FORMAT,
  type ModelCard,
  type ModelMetadata,
  propsToCard,
  readOnnxMetadata,
} from './onnx/metadata.ts';
export * from './scaler.ts';
export * from './synthetic.ts';
export type { DecisionTree } from './tree.ts';
