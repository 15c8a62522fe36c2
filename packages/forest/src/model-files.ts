/**
 * Writes a model and its JSON sidecar so that a running inference service never reads a half-written file.
 *
 * Scheme: each file is written to a temporary name in the same directory, fsynced, then renamed over the
 * final name (rename is atomic within a file system). The sidecar goes first and the model last, so the
 * model's rename is the commit point: when a service sees a new `<name>.onnx`, its `<name>.json` is
 * already in place. The sidecar carries the model's SHA-256, so a reader that catches the moment between
 * the two renames (new sidecar, old model) can tell, and the model's own metadata_props are authoritative.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ForestError } from './errors.ts';
import { type ModelCard, propsToCard, readOnnxMetadata } from './onnx/metadata.ts';

export interface ModelSidecar extends ModelCard {
  readonly onnx: {
    /** file name of the model, relative to the sidecar */
    readonly file: string;
    readonly sha256: string;
    readonly bytes: number;
  };
}

export interface WrittenModel {
  readonly onnxPath: string;
  readonly sidecarPath: string;
  readonly sidecar: ModelSidecar;
}

/** `models/pump.onnx` → `models/pump.json` */
export function sidecarPathFor(onnxPath: string): string {
  return onnxPath.replace(/\.onnx$/, '.json');
}

/**
 * The sidecar is derived from the model's own metadata_props, so the two cannot disagree. Throws a
 * ForestError ('invalid-metadata' before anything is written, 'write-failed' if the disk refuses).
 */
export async function writeModelFiles(onnxPath: string, onnx: Uint8Array): Promise<WrittenModel> {
  if (!onnxPath.endsWith('.onnx')) throw new RangeError(`model path must end in .onnx: ${onnxPath}`);
  const card = propsToCard(readOnnxMetadata(onnx));
  const sidecar: ModelSidecar = {
    ...card,
    onnx: {
      file: basename(onnxPath),
      sha256: createHash('sha256').update(onnx).digest('hex'),
      bytes: onnx.length,
    },
  };
  const sidecarPath = sidecarPathFor(onnxPath);
  await replaceFile(sidecarPath, new TextEncoder().encode(`${JSON.stringify(sidecar, null, 2)}\n`));
  await replaceFile(onnxPath, onnx);
  await syncDirectory(dirname(onnxPath));
  return { onnxPath, sidecarPath, sidecar };
}

async function replaceFile(path: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (cause) {
    await rm(temp, { force: true });
    throw new ForestError('write-failed', `could not write ${path}`, { cause });
  }
}

/** Makes the renames themselves durable; not every platform can open a directory, and that is fine. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort: the files are complete either way, only a power cut could roll the rename back
  } finally {
    await handle?.close();
  }
}
