/**
 * ONNX export without Python: Scaler → TreeEnsembleClassifier (ai.onnx.ml), the graph that skl2onnx produces
 * for make_pipeline(StandardScaler(), RandomForestClassifier()) with string labels and
 * options={'zipmap': False}, so either model can be dropped in for the other. The outputs keep the names
 * skl2onnx gives them with ZipMap on (output_label, output_probability; without ZipMap it says label and
 * probabilities), which older inference services look up by name.
 *
 * A regressor becomes Scaler → TreeEnsembleRegressor with one output, `variable` float [N, 1], as skl2onnx
 * writes make_pipeline(StandardScaler(), RandomForestRegressor()).
 */

import { ForestModel, type RegressionModel } from '../model.ts';
import { type DecisionTree, leafCount } from '../tree.ts';
import {
  cardToProps,
  MODEL_FORMAT,
  type ModelCard,
  type ModelMetadata,
  type RegressionMetadata,
} from './metadata.ts';
import { ProtoWriter } from './protobuf-writer.ts';

export const ONNX_INPUT = 'features';
export const ONNX_OUTPUT_LABEL = 'output_label';
export const ONNX_OUTPUT_PROBABILITY = 'output_probability';
/** a regressor's float32 [N, 1] output, named as skl2onnx names it */
export const ONNX_OUTPUT_VARIABLE = 'variable';

/** IR 8 with opset 17 and ai.onnx.ml 3: loaded by onnxruntime 1.30 and accepted by onnx ≥ 1.12's checker. */
const IR_VERSION = 8;
const OPSET_DEFAULT = 17;
const OPSET_ML = 3;
const ML_DOMAIN = 'ai.onnx.ml';

/** protobuf (and so onnxruntime and the onnx package) cannot parse a message of 2 GiB or more */
const PROTOBUF_MAX_BYTES = 2 ** 31 - 1;

export const ELEM_FLOAT = 1;
const ELEM_STRING = 8;

const ATTR = { INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

/** Everything the exporter writes into metadata_props: the trainer's facts plus the model's own. */
export function modelCard(model: ForestModel, metadata: ModelMetadata): ModelCard;
export function modelCard(model: RegressionModel, metadata: RegressionMetadata): ModelCard;
export function modelCard(
  model: ForestModel | RegressionModel,
  metadata: ModelMetadata | RegressionMetadata,
): ModelCard {
  if (metadata.featureNames.length !== model.nFeatures) {
    throw new RangeError(
      `${metadata.featureNames.length} feature names for a ${model.nFeatures}-feature model`,
    );
  }
  if (metadata.featureUnits.length !== model.nFeatures) {
    throw new RangeError(
      `${metadata.featureUnits.length} feature units for a ${model.nFeatures}-feature model`,
    );
  }
  const importances = model.forest.featureImportances;
  const modelFacts = {
    format: MODEL_FORMAT,
    hyperparameters: model.forest.params,
    featureImportances: Object.fromEntries(metadata.featureNames.map((name, f) => [name, importances[f]!])),
  };
  if (model instanceof ForestModel) {
    return { ...metadata, ...modelFacts, task: 'classification', classes: model.classes };
  }
  if (!('target' in metadata)) throw new RangeError('a regression model needs its target in the metadata');
  if (metadata.labelMax !== null && !(metadata.labelMax > 0 && Number.isFinite(metadata.labelMax))) {
    throw new RangeError(`labelMax must be a positive number or null, got ${metadata.labelMax}`);
  }
  return { ...metadata, ...modelFacts, task: 'regression', classes: [] };
}

/** The model's ONNX bytes: a classifier as encodeOnnx writes it by default, a regressor as encodeRegressor. */
export function exportOnnx(model: ForestModel, metadata: ModelMetadata): Uint8Array;
export function exportOnnx(model: RegressionModel, metadata: RegressionMetadata): Uint8Array;
export function exportOnnx(
  model: ForestModel | RegressionModel,
  metadata: ModelMetadata | RegressionMetadata,
): Uint8Array {
  if (model instanceof ForestModel) return encodeOnnx(model, metadata);
  return encodeRegressor(model, metadata as RegressionMetadata);
}

/**
 * How a 2-class model writes its leaves: 'positive-class' is the correct encoding; 'both-classes' exists
 * only so a test can show onnxruntime mislabelling it (see treeEnsembleAttributes).
 */
export type TwoClassLeaves = 'positive-class' | 'both-classes';

/**
 * The graph's outputs: 'pdm' is ours; 'skl2onnx' and 'skl2onnx-zipmap' are the graphs skl2onnx writes for
 * the same pipeline without and with its default ZipMap (node types, names, types and shapes as in its
 * _parse.py and zip_map.py), so that tests can show a consumer accepting a scikit-learn model.
 */
export type OutputLayout = 'pdm' | 'skl2onnx' | 'skl2onnx-zipmap';

export interface EncodeOptions {
  /** default 'positive-class' */
  readonly twoClassLeaves?: TwoClassLeaves;
  /** default 'pdm' */
  readonly layout?: OutputLayout;
  /** metadata_props to add or replace after the card's, as onnx.helper.set_model_props would */
  readonly props?: Readonly<Record<string, string>>;
}

export function encodeOnnx(
  model: ForestModel,
  metadata: ModelMetadata,
  options: EncodeOptions = {},
): Uint8Array {
  const { twoClassLeaves = 'positive-class', layout = 'pdm' } = options;
  const card = modelCard(model, metadata);
  const F = model.nFeatures;
  const C = model.classes.length;
  const sk = layout !== 'pdm';
  // skl2onnx leaves the batch dimension of FloatTensorType([None, F]) unset: no dim_value, no dim_param
  const N = sk ? null : 'N';
  const scaled = sk ? 'variable' : 'scaled_features';
  const [label, probabilities] = sk
    ? ['label', 'probabilities']
    : [ONNX_OUTPUT_LABEL, ONNX_OUTPUT_PROBABILITY];

  const scaler = node(
    'Scaler',
    sk ? 'Scaler' : 'scaler',
    [ONNX_INPUT],
    [scaled],
    [floatsAttr('offset', model.scaler.onnxOffset), floatsAttr('scale', model.scaler.onnxScale)],
  );
  const ensemble = node(
    'TreeEnsembleClassifier',
    sk ? 'TreeEnsembleClassifier' : 'forest',
    [scaled],
    [label, probabilities],
    treeEnsembleAttributes(model, twoClassLeaves),
  );

  const graph = new ProtoWriter().message(1, scaler).message(1, ensemble);
  if (layout === 'skl2onnx-zipmap') {
    // zip_map.py: string labels pass through an Identity, the probabilities become one map per row
    graph
      .message(1, node('Identity', 'Identity', [label], [ONNX_OUTPUT_LABEL], [], ''))
      .message(
        1,
        node(
          'ZipMap',
          'ZipMap',
          [probabilities],
          [ONNX_OUTPUT_PROBABILITY],
          [stringsAttr('classlabels_strings', model.classes)],
        ),
      );
  }
  graph.string(2, sk ? 'pipeline' : 'pdm_forest').message(11, valueInfo(ONNX_INPUT, ELEM_FLOAT, [N, F]));
  if (layout === 'skl2onnx-zipmap') {
    graph
      .message(12, valueInfo(ONNX_OUTPUT_LABEL, ELEM_STRING, [N]))
      .message(12, sequenceOfMapsInfo(ONNX_OUTPUT_PROBABILITY, ELEM_STRING, ELEM_FLOAT));
  } else {
    graph
      .message(12, valueInfo(label, ELEM_STRING, [N]))
      .message(12, valueInfo(probabilities, ELEM_FLOAT, [N, C]));
  }

  const doc = `Random forest of ${model.forest.trees.length} trees over ${F} features, classes ${card.classes.join(', ')}`;
  return modelProto(graph, metadata.trainerVersion, doc, { ...cardToProps(card), ...options.props });
}

/**
 * Scaler → TreeEnsembleRegressor, output `variable` float [N, 1]. Leaves carry mean / nTrees on an exact
 * float32 grid (regressionLeafGrid) and the aggregate is SUM, as skl2onnx writes a random forest: every
 * partial sum is then a float32, so onnxruntime's float32 total equals the in-memory float64 one whatever
 * order its threads add the trees in. AVERAGE would need the undivided means, whose sums over hundreds of
 * trees reach past what the grid keeps exact, and then a float32 division.
 */
export function encodeRegressor(
  model: RegressionModel,
  metadata: RegressionMetadata,
  options: Pick<EncodeOptions, 'props'> = {},
): Uint8Array {
  const card = modelCard(model, metadata);
  const F = model.nFeatures;
  const scaled = 'scaled_features';
  const scaler = node(
    'Scaler',
    'scaler',
    [ONNX_INPUT],
    [scaled],
    [floatsAttr('offset', model.scaler.onnxOffset), floatsAttr('scale', model.scaler.onnxScale)],
  );
  const ensemble = node(
    'TreeEnsembleRegressor',
    'forest',
    [scaled],
    [ONNX_OUTPUT_VARIABLE],
    treeRegressorAttributes(model.forest.trees),
  );
  const graph = new ProtoWriter()
    .message(1, scaler)
    .message(1, ensemble)
    .string(2, 'pdm_forest')
    .message(11, valueInfo(ONNX_INPUT, ELEM_FLOAT, ['N', F]))
    .message(12, valueInfo(ONNX_OUTPUT_VARIABLE, ELEM_FLOAT, ['N', 1]));
  const doc = `Random forest regressor of ${model.forest.trees.length} trees over ${F} features, target ${metadata.target}`;
  return modelProto(graph, metadata.trainerVersion, doc, { ...cardToProps(card), ...options.props });
}

/** ModelProto around a graph: producer, opsets, metadata_props; refuses what protobuf could not parse. */
function modelProto(
  graph: ProtoWriter,
  producerVersion: string,
  doc: string,
  props: Readonly<Record<string, string>>,
): Uint8Array {
  const out = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, '@pdm/forest')
    .string(3, producerVersion)
    .string(4, 'pdm')
    .int(5, 1)
    .string(6, doc)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, OPSET_DEFAULT))
    .message(8, new ProtoWriter().string(1, ML_DOMAIN).int(2, OPSET_ML));
  for (const [key, value] of Object.entries(props)) {
    out.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  if (out.length > PROTOBUF_MAX_BYTES) {
    throw new RangeError(
      `model is ${out.length} bytes, over protobuf's 2 GiB limit: use fewer or shallower trees`,
    );
  }
  return out.finish();
}

/**
 * Node and leaf attributes of all trees. Nodes keep the in-memory depth-first numbering per tree. Leaf
 * weights are already divided by the tree count and on an exact float32 grid (leaf-weights.ts), so the sum
 * onnxruntime computes is the forest's mean probability, bit for bit.
 *
 * The two-class trap: onnxruntime treats a 2-class ensemble whose weights all name the same class id as
 * "binary" — it reads that single score as p(class 1), labels by p > 0.5 and outputs [1 − p, p]. If weights
 * name both classes it instead labels class 1 whenever p(class 1) > 0, which is wrong. So, as skl2onnx
 * does, a 2-class model writes one weight per leaf: p(class 1), under class id 0.
 */
function treeEnsembleAttributes(model: ForestModel, twoClassLeaves: TwoClassLeaves): ProtoWriter[] {
  const { trees, nClasses: C } = model.forest;
  const binary = C === 2 && twoClassLeaves === 'positive-class';
  let leafEntries = 0;
  for (const tree of trees) {
    if (binary) leafEntries += leafCount(tree, C);
    else for (const w of tree.leafWeights) if (w !== 0) leafEntries++;
  }
  const classTree = new Int32Array(leafEntries);
  const classNode = new Int32Array(leafEntries);
  const classId = new Int32Array(leafEntries);
  const classWeight = new Float32Array(leafEntries);

  let e = 0;
  for (const [t, tree] of trees.entries()) {
    for (let id = 0; id < tree.feature.length; id++) {
      if (tree.feature[id]! >= 0) continue;
      const base = tree.left[id]! * C;
      if (binary) {
        classTree[e] = t;
        classNode[e] = id;
        classId[e] = 0;
        classWeight[e++] = tree.leafWeights[base + 1]!;
        continue;
      }
      for (let c = 0; c < C; c++) {
        const w = tree.leafWeights[base + c]!;
        // a zero weight adds nothing; every leaf keeps at least one entry because its weights sum to 1/T
        if (w === 0) continue;
        classTree[e] = t;
        classNode[e] = id;
        classId[e] = c;
        classWeight[e++] = w;
      }
    }
  }

  return [
    intsAttr('class_ids', classId),
    intsAttr('class_nodeids', classNode),
    intsAttr('class_treeids', classTree),
    floatsAttr('class_weights', classWeight),
    stringsAttr('classlabels_strings', model.classes),
    ...nodeAttributes(trees),
    stringAttr('post_transform', 'NONE'),
  ];
}

/** A regressor's trees: one target weight per leaf, its mean / nTrees, summed (see encodeRegressor). */
function treeRegressorAttributes(trees: readonly DecisionTree[]): ProtoWriter[] {
  let leaves = 0;
  for (const tree of trees) leaves += leafCount(tree, 1);
  const targetTree = new Int32Array(leaves);
  const targetNode = new Int32Array(leaves);
  const targetWeight = new Float32Array(leaves);
  let e = 0;
  for (const [t, tree] of trees.entries()) {
    for (let id = 0; id < tree.feature.length; id++) {
      if (tree.feature[id]! >= 0) continue;
      targetTree[e] = t;
      targetNode[e] = id;
      targetWeight[e++] = tree.leafWeights[tree.left[id]!]!;
    }
  }
  return [
    stringAttr('aggregate_function', 'SUM'),
    intAttr('n_targets', 1),
    ...nodeAttributes(trees),
    stringAttr('post_transform', 'NONE'),
    intsAttr('target_ids', new Int32Array(leaves)),
    intsAttr('target_nodeids', targetNode),
    intsAttr('target_treeids', targetTree),
    floatsAttr('target_weights', targetWeight),
  ];
}

/** The nodes_* attributes of all trees; nodes keep the in-memory depth-first numbering per tree. */
function nodeAttributes(trees: readonly DecisionTree[]): ProtoWriter[] {
  let nodes = 0;
  for (const tree of trees) nodes += tree.feature.length;
  const nodeTree = new Int32Array(nodes);
  const nodeId = new Int32Array(nodes);
  const nodeFeature = new Int32Array(nodes);
  const nodeValue = new Float32Array(nodes);
  const nodeTrue = new Int32Array(nodes);
  const nodeFalse = new Int32Array(nodes);
  const nodeMode: string[] = new Array(nodes);
  let n = 0;
  for (const [t, tree] of trees.entries()) {
    for (let id = 0; id < tree.feature.length; id++, n++) {
      nodeTree[n] = t;
      nodeId[n] = id;
      const f = tree.feature[id]!;
      if (f < 0) {
        nodeMode[n] = 'LEAF';
        continue;
      }
      nodeMode[n] = 'BRANCH_LEQ';
      nodeFeature[n] = f;
      nodeValue[n] = tree.threshold[id]!;
      nodeTrue[n] = tree.left[id]!;
      nodeFalse[n] = tree.right[id]!;
    }
  }
  return [
    intsAttr('nodes_falsenodeids', nodeFalse),
    intsAttr('nodes_featureids', nodeFeature),
    stringsAttr('nodes_modes', nodeMode),
    intsAttr('nodes_nodeids', nodeId),
    intsAttr('nodes_treeids', nodeTree),
    intsAttr('nodes_truenodeids', nodeTrue),
    floatsAttr('nodes_values', nodeValue),
  ];
}

function node(
  opType: string,
  name: string,
  inputs: string[],
  outputs: string[],
  attributes: ProtoWriter[],
  domain = ML_DOMAIN,
) {
  const w = new ProtoWriter();
  for (const input of inputs) w.string(1, input);
  for (const output of outputs) w.string(2, output);
  w.string(3, name).string(4, opType);
  for (const a of attributes) w.message(5, a);
  return domain === '' ? w : w.string(7, domain);
}

/** A tensor type; string dims are symbolic (dim_param), numbers fixed (dim_value), null unknown. */
export function valueInfo(
  name: string,
  elemType: number,
  dims: readonly (string | number | null)[],
): ProtoWriter {
  return new ProtoWriter().string(1, name).message(2, tensorType(elemType, dims));
}

function tensorType(elemType: number, dims?: readonly (string | number | null)[]): ProtoWriter {
  const tensor = new ProtoWriter().int(1, elemType);
  if (dims) {
    const shape = new ProtoWriter();
    for (const d of dims) {
      const dim = new ProtoWriter();
      if (typeof d === 'string') dim.string(2, d);
      else if (typeof d === 'number') dim.int(1, d);
      shape.message(1, dim);
    }
    tensor.message(2, shape);
  }
  // TypeProto.tensor_type
  return new ProtoWriter().message(1, tensor);
}

/** seq(map(key, tensor(value))), ZipMap's output type: TypeProto.sequence_type (4) of map_type (5). */
function sequenceOfMapsInfo(name: string, keyType: number, valueType: number): ProtoWriter {
  const map = new ProtoWriter().int(1, keyType).message(2, tensorType(valueType));
  const sequence = new ProtoWriter().message(1, new ProtoWriter().message(5, map));
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(4, sequence));
}

function floatsAttr(name: string, values: ArrayLike<number>): ProtoWriter {
  return new ProtoWriter().string(1, name).packedFloats(7, values).int(20, ATTR.FLOATS);
}

function intsAttr(name: string, values: ArrayLike<number>): ProtoWriter {
  return new ProtoWriter().string(1, name).packedInts(8, values).int(20, ATTR.INTS);
}

function intAttr(name: string, value: number): ProtoWriter {
  return new ProtoWriter().string(1, name).int(3, value).int(20, ATTR.INT);
}

function stringsAttr(name: string, values: ArrayLike<string>): ProtoWriter {
  return new ProtoWriter().string(1, name).strings(9, values).int(20, ATTR.STRINGS);
}

function stringAttr(name: string, value: string): ProtoWriter {
  return new ProtoWriter().string(1, name).string(4, value).int(20, ATTR.STRING);
}
