/**
 * The training-set row in CSV or JSON Lines. Numbers are printed as fixedJson prints them, at the
 * resolution they are defined with (features at FEATURE_DECIMALS), so the text parses back to exactly
 * the number the FeatureExtractor computed, the same number inference computes. Runs once per written
 * row: the constant parts are encoded once, and the row goes straight into the output bytes.
 */

import { HEALTH_DECIMALS, type LabelledSample, RUL_DECIMALS } from '@pdm/contract';
import { FEATURE_COUNT, FEATURE_DECIMALS, FEATURE_NAMES, TRAINING_SET_COLUMNS } from '@pdm/features';
import type { ByteBuffer } from './bytes.ts';
import type { OutputFormat } from './options.ts';

/** The columns written, in order: the shared training-set layout. */
export const COLUMNS = TRAINING_SET_COLUMNS;

export interface RowFormat {
  /** the first line of the file, with its newline; empty when the format has none */
  readonly header: string;
  /** appends one row, with its newline */
  write(out: ByteBuffer, row: LabelledSample, features: Float64Array): void;
}

export function rowFormat(format: OutputFormat): RowFormat {
  return format === 'csv' ? csvFormat() : jsonlFormat();
}

const COMMA = 44;
const NEWLINE = 10;
const ascii = (text: string) => Buffer.from(text, 'utf8');

/** Encoded once per distinct value: pump ids repeat for thousands of rows, states and modes forever. */
function memo(encode: (value: string) => Buffer): (value: string) => Buffer {
  const cache = new Map<string, Buffer>();
  let lastValue: string | undefined;
  let last: Buffer = Buffer.alloc(0);
  return (value) => {
    if (value === lastValue) return last;
    let bytes = cache.get(value);
    if (bytes === undefined) {
      bytes = encode(value);
      // pump ids are many; states and failure modes are few, and those are the ones worth keeping
      if (cache.size < 64) cache.set(value, bytes);
    }
    lastValue = value;
    last = bytes;
    return bytes;
  };
}

function csvFormat(): RowFormat {
  // Ids matching ID_PATTERN need no quotes; InfluxDB tags are not bound by it, so check anyway.
  const cell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const pumpCell = memo((id) => ascii(cell(id)));
  const stateCell = memo(ascii);
  const modeCell = memo(ascii);
  const optional = (out: ByteBuffer, x: number | null | undefined, decimals: number) => {
    if (x !== null && x !== undefined) out.fixed(x, decimals, '');
  };
  return {
    header: `${COLUMNS.map(cell).join(',')}\n`,
    write(out, row, features) {
      out.reserveLine();
      out.integer(row.ts);
      out.byte(COMMA);
      out.bytes(pumpCell(row.pump_id));
      out.byte(COMMA);
      out.integer(row.seq);
      for (let i = 0; i < FEATURE_COUNT; i++) {
        out.byte(COMMA);
        out.fixed(features[i] as number, FEATURE_DECIMALS, '');
      }
      out.byte(COMMA);
      if (row.state) out.bytes(stateCell(row.state));
      out.byte(COMMA);
      optional(out, row.health_pct, HEALTH_DECIMALS);
      out.byte(COMMA);
      optional(out, row.rul_h, RUL_DECIMALS);
      out.byte(COMMA);
      if (row.failure_mode) out.bytes(modeCell(row.failure_mode));
      out.byte(NEWLINE);
    },
  };
}

function jsonlFormat(): RowFormat {
  const key = (name: string, first = false) => ascii(`${first ? '{' : ','}${JSON.stringify(name)}:`);
  const featureKeys = FEATURE_NAMES.map((name) => key(name));
  const [TS, PUMP_ID, SEQ, STATE, HEALTH_PCT, RUL_H, FAILURE_MODE] = [
    key('ts', true),
    key('pump_id'),
    key('seq'),
    key('state'),
    key('health_pct'),
    key('rul_h'),
    key('failure_mode'),
  ] as Buffer[];
  const END = ascii('}\n');
  const NULL = ascii('null');
  const jsonString = (value: string) => ascii(JSON.stringify(value));
  const pumpId = memo(jsonString);
  const state = memo(jsonString);
  const failureMode = memo(jsonString);
  const optionalNumber = (out: ByteBuffer, x: number | null | undefined, decimals: number) => {
    if (x === null || x === undefined) out.bytes(NULL);
    else out.fixed(x, decimals);
  };
  const optionalText = (out: ByteBuffer, s: string | null | undefined, encoded: (s: string) => Buffer) =>
    out.bytes(s ? encoded(s) : NULL);
  return {
    header: '',
    write(out, row, features) {
      out.reserveLine();
      out.bytes(TS as Buffer);
      out.integer(row.ts);
      out.bytes(PUMP_ID as Buffer);
      out.bytes(pumpId(row.pump_id));
      out.bytes(SEQ as Buffer);
      out.integer(row.seq);
      for (let i = 0; i < FEATURE_COUNT; i++) {
        out.bytes(featureKeys[i] as Buffer);
        out.fixed(features[i] as number, FEATURE_DECIMALS);
      }
      out.bytes(STATE as Buffer);
      optionalText(out, row.state, state);
      out.bytes(HEALTH_PCT as Buffer);
      optionalNumber(out, row.health_pct, HEALTH_DECIMALS);
      out.bytes(RUL_H as Buffer);
      optionalNumber(out, row.rul_h, RUL_DECIMALS);
      out.bytes(FAILURE_MODE as Buffer);
      optionalText(out, row.failure_mode, failureMode);
      out.bytes(END);
    },
  };
}
