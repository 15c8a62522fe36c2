/** Writes NumPy .npy files (format 1.0), so the Python baseline loads our exact arrays in milliseconds. */
import { writeFileSync } from 'node:fs';

export function writeNpy(path: string, data: Float64Array | Int32Array, shape: readonly number[]): void {
  const descr = data instanceof Float64Array ? '<f8' : '<i4';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  // magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = new Uint8Array(10);
  prefix.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0]);
  new DataView(prefix.buffer).setUint16(8, header.length, true);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
    throw new Error('writeNpy assumes a little-endian host');
  writeFileSync(path, Buffer.concat([prefix, new TextEncoder().encode(header), body]));
}
