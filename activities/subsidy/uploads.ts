import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { copyFile, rename } from 'node:fs/promises';
import path from 'node:path';

/** The file types an extract or roster may come as. */
export type UploadKind = 'csv' | 'xlsx';

export function uploadKind(fileName: string): UploadKind {
  const ext = path.extname(fileName).toLowerCase();
  if (ext === '.csv' || ext === '.txt') return 'csv';
  if (ext === '.xlsx') return 'xlsx';
  throw new Error(`${path.basename(fileName)}: unsupported file type ${ext || '(none)'}; expected .csv or .xlsx`);
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Stores an uploaded file under its SHA-256 (uploads/<hash>.<kind>, owner-only): the same file
 * uploaded twice is one upload, and the hash is what workflows carry instead of the data.
 */
export async function storeUpload(uploadsDir: string, source: string): Promise<{ hash: string; file: string; kind: UploadKind }> {
  const kind = uploadKind(source);
  const hash = await sha256File(source);
  mkdirSync(uploadsDir, { recursive: true, mode: 0o700 });
  const file = path.join(uploadsDir, `${hash}.${kind}`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.partial`;
    await copyFile(source, partial);
    await rename(partial, file);
  }
  return { hash, file, kind };
}

/** Finds a stored upload by hash. */
export function uploadPath(uploadsDir: string, hash: string): { file: string; kind: UploadKind } {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`not a SHA-256: ${hash}`);
  const name = existsSync(uploadsDir) ? readdirSync(uploadsDir).find((f) => f.startsWith(`${hash}.`) && !f.endsWith('.partial')) : undefined;
  if (!name) throw new Error(`no upload with hash ${hash}`);
  return { file: path.join(uploadsDir, name), kind: uploadKind(name) };
}
