/**
 * An ONNX graph's wiring read from its bytes (nodes, their class labels, the graph outputs), and the one
 * rewrite a Node consumer of skl2onnx models needs: taking off ZipMap, whose sequence of maps
 * onnxruntime-node cannot return.
 */
import { ForestError } from '../errors.ts';
import { ELEM_FLOAT, valueInfo } from './export.ts';
import { ProtoReader } from './protobuf-reader.ts';
import { ProtoWriter } from './protobuf-writer.ts';

export interface OnnxNode {
  readonly opType: string;
  /** '' for the default domain, e.g. 'ai.onnx.ml' */
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** an ai.onnx.ml classifier's or ZipMap's `classlabels_strings`: its classes, in column order */
  readonly classLabels?: readonly string[];
  /** how many `classlabels_int64s` it has, for one trained on integer labels */
  readonly integerClassCount?: number;
}

export interface OnnxGraph {
  /** the main graph's nodes, in file order (subgraphs of If and Loop are not read) */
  readonly nodes: readonly OnnxNode[];
  /** the names of the graph outputs, in order */
  readonly outputs: readonly string[];
}

/** A ZipMap taken off by unzipMapOutputs: `output` (a sequence of maps) is gone, `tensor` is an output now. */
export interface UnzippedOutput {
  /** the sequence-of-maps output that was removed, e.g. output_probability */
  readonly output: string;
  /** ZipMap's input, float [N, C], now a graph output, e.g. probabilities */
  readonly tensor: string;
  /** ZipMap's string keys: the classes of the tensor's columns, in order (absent for integer keys) */
  readonly classLabels?: readonly string[];
  /** the tensor's columns */
  readonly classCount: number;
}

const MODEL_GRAPH = 7;
const GRAPH = { NODE: 1, OUTPUT: 12, VALUE_INFO: 13 } as const;
const NODE = { INPUT: 1, OUTPUT: 2, OP_TYPE: 4, ATTRIBUTE: 5, DOMAIN: 7 } as const;
const ATTRIBUTE = { NAME: 1, INTS: 8, STRINGS: 9 } as const;
const VALUE_INFO_NAME = 1;
const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;

const text = new TextDecoder('utf-8', { fatal: true });

/** Nodes and outputs of the main graph; a ForestError ('malformed-onnx') if the bytes are not ONNX. */
export function readOnnxGraph(bytes: Uint8Array): OnnxGraph {
  return parse(bytes, () => {
    const graph = graphBytes(bytes);
    const nodes: OnnxNode[] = [];
    const outputs: string[] = [];
    if (!graph) return { nodes, outputs };
    const reader = new ProtoReader(graph);
    while (!reader.done) {
      const { field, wire } = reader.tag();
      if (field === GRAPH.NODE && wire === WIRE_LENGTH_DELIMITED)
        nodes.push(readNode(reader.lengthDelimited()));
      else if (field === GRAPH.OUTPUT && wire === WIRE_LENGTH_DELIMITED)
        outputs.push(valueInfoName(reader.lengthDelimited()));
      else reader.skip(wire);
    }
    return { nodes, outputs };
  });
}

/**
 * skl2onnx's default graph ends in ZipMap: output_probability is a sequence of maps class → probability,
 * which onnxruntime-node cannot return ("Non tensor type is temporarily not supported"). This takes every
 * ZipMap whose output is a graph output and feeds nothing else off the graph, and makes its input — the
 * float [N, C] probabilities, columns in the order of ZipMap's keys — a graph output in its place. Nothing
 * else changes, so the model computes the same numbers. Returns the bytes unchanged when there is no ZipMap.
 * `graph` is readOnnxGraph(bytes), for a caller that has read it already.
 */
export function unzipMapOutputs(
  bytes: Uint8Array,
  graph: OnnxGraph = readOnnxGraph(bytes),
): {
  readonly bytes: Uint8Array;
  readonly unzipped: readonly UnzippedOutput[];
} {
  const consumed = new Set(graph.nodes.flatMap((n) => n.inputs));
  const unzipped: UnzippedOutput[] = [];
  for (const node of graph.nodes) {
    const output = node.outputs[0];
    const tensor = node.inputs[0];
    if (node.opType !== 'ZipMap' || node.domain !== 'ai.onnx.ml' || !output || !tensor) continue;
    if (!graph.outputs.includes(output) || consumed.has(output)) continue;
    const classCount = node.classLabels?.length ?? node.integerClassCount ?? 0;
    unzipped.push({
      output,
      tensor,
      classCount,
      ...(node.classLabels ? { classLabels: node.classLabels } : {}),
    });
  }
  if (unzipped.length === 0) return { bytes, unzipped };

  return parse(bytes, () => {
    const removed = new Map(unzipped.map((u) => [u.output, u]));
    const exposed = new Set(graph.outputs);
    const oldGraph = graphBytes(bytes) as Uint8Array;
    const newGraph = new ProtoWriter();
    const graphReader = new ProtoReader(oldGraph);
    while (!graphReader.done) {
      const start = graphReader.position;
      const { field, wire } = graphReader.tag();
      let value: Uint8Array | undefined;
      if (wire === WIRE_LENGTH_DELIMITED) value = graphReader.lengthDelimited();
      else graphReader.skip(wire);
      const raw = oldGraph.subarray(start, graphReader.position);
      if (value && field === GRAPH.NODE) {
        const node = readNode(value);
        if (node.opType === 'ZipMap' && node.outputs[0] !== undefined && removed.has(node.outputs[0]))
          continue;
      } else if (value && field === GRAPH.OUTPUT) {
        const u = removed.get(valueInfoName(value));
        if (u) {
          // the same place in the output list; a tensor that already was an output is not listed twice
          if (!exposed.has(u.tensor))
            newGraph.message(GRAPH.OUTPUT, valueInfo(u.tensor, ELEM_FLOAT, [null, u.classCount]));
          exposed.add(u.tensor);
          continue;
        }
      } else if (value && field === GRAPH.VALUE_INFO && removed.has(valueInfoName(value))) {
        continue;
      }
      newGraph.raw(raw);
    }

    const model = new ProtoWriter();
    const reader = new ProtoReader(bytes);
    while (!reader.done) {
      const start = reader.position;
      const { field, wire } = reader.tag();
      reader.skip(wire);
      if (field === MODEL_GRAPH && wire === WIRE_LENGTH_DELIMITED) model.message(MODEL_GRAPH, newGraph);
      else model.raw(bytes.subarray(start, reader.position));
    }
    return { bytes: model.finish(), unzipped };
  });
}

function parse<T>(bytes: Uint8Array, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    if (cause instanceof ForestError) throw cause;
    throw new ForestError(
      'malformed-onnx',
      `bytes are not a well-formed ONNX model (${bytes.length} bytes)`,
      {
        cause,
      },
    );
  }
}

/**
 * ModelProto.graph. Writers emit it once; a file holding it twice (which protobuf would merge) is refused
 * rather than half read.
 */
function graphBytes(model: Uint8Array): Uint8Array | undefined {
  let graph: Uint8Array | undefined;
  const reader = new ProtoReader(model);
  while (!reader.done) {
    const { field, wire } = reader.tag();
    if (field !== MODEL_GRAPH || wire !== WIRE_LENGTH_DELIMITED) reader.skip(wire);
    else if (graph) throw new ForestError('malformed-onnx', 'the model holds more than one graph field');
    else graph = reader.lengthDelimited();
  }
  return graph;
}

function readNode(bytes: Uint8Array): OnnxNode {
  const inputs: string[] = [];
  const outputs: string[] = [];
  let opType = '';
  let domain = '';
  let classLabels: string[] | undefined;
  let integerClassCount: number | undefined;
  const reader = new ProtoReader(bytes);
  while (!reader.done) {
    const { field, wire } = reader.tag();
    if (wire !== WIRE_LENGTH_DELIMITED) {
      reader.skip(wire);
      continue;
    }
    const value = reader.lengthDelimited();
    if (field === NODE.INPUT) inputs.push(text.decode(value));
    else if (field === NODE.OUTPUT) outputs.push(text.decode(value));
    else if (field === NODE.OP_TYPE) opType = text.decode(value);
    else if (field === NODE.DOMAIN) domain = text.decode(value);
    else if (field === NODE.ATTRIBUTE) {
      const labels = readClassLabels(value);
      if (typeof labels === 'number') integerClassCount = labels;
      else if (labels) classLabels = labels;
    }
  }
  return {
    opType,
    domain,
    inputs,
    outputs,
    ...(classLabels ? { classLabels } : {}),
    ...(integerClassCount !== undefined ? { integerClassCount } : {}),
  };
}

/**
 * classlabels_strings as strings, classlabels_int64s as their count, anything else undefined. The name is
 * looked up first, so other attributes (the megabytes of tree arrays) are skipped, not decoded.
 */
function readClassLabels(attribute: Uint8Array): string[] | number | undefined {
  let name = '';
  for (const reader = new ProtoReader(attribute); !reader.done; ) {
    const { field, wire } = reader.tag();
    if (field === ATTRIBUTE.NAME && wire === WIRE_LENGTH_DELIMITED)
      name = text.decode(reader.lengthDelimited());
    else reader.skip(wire);
  }
  if (name !== 'classlabels_strings' && name !== 'classlabels_int64s') return undefined;
  const strings: string[] = [];
  let ints = 0;
  for (const reader = new ProtoReader(attribute); !reader.done; ) {
    const { field, wire } = reader.tag();
    if (field === ATTRIBUTE.STRINGS && wire === WIRE_LENGTH_DELIMITED)
      strings.push(text.decode(reader.lengthDelimited()));
    else if (field === ATTRIBUTE.INTS && wire === WIRE_VARINT) {
      // proto2's repeated int64: the onnx package writes one varint each, other writers (ours) pack them
      reader.varint();
      ints++;
    } else if (field === ATTRIBUTE.INTS && wire === WIRE_LENGTH_DELIMITED) {
      for (const packed = new ProtoReader(reader.lengthDelimited()); !packed.done; ints++) packed.varint();
    } else reader.skip(wire);
  }
  return name === 'classlabels_strings' ? strings : ints;
}

function valueInfoName(bytes: Uint8Array): string {
  const reader = new ProtoReader(bytes);
  while (!reader.done) {
    const { field, wire } = reader.tag();
    if (field === VALUE_INFO_NAME && wire === WIRE_LENGTH_DELIMITED)
      return text.decode(reader.lengthDelimited());
    reader.skip(wire);
  }
  return '';
}
