import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { copyFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ConcurrencyError } from '../../eventstore';
import { cycleIdFor } from '../../workflows/subsidy/definitions';
import { subsidyEvent, type SubsidyDeps } from './context';

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
    // A name of its own per copy: two uploads of one file at the same moment (one process or two)
    // each write their own partial; the renames both land the same bytes on the same name.
    const partial = `${file}.${randomUUID()}.partial`;
    try {
      await copyFile(source, partial);
      await rename(partial, file);
    } finally {
      await rm(partial, { force: true });
    }
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

/**
 * The back-pay run (补发, 第十二条) of an omissions file: the same file uploaded twice is one run, and
 * different files get runs 1, 2, … of the quarter in order. Claims are events of one stream per
 * quarter appended at an expected version, so two uploads at the same moment never take the same
 * number (the loser re-reads and takes the next), in one API process or several.
 */
export async function claimBackPayRun(
  deps: Pick<SubsidyDeps, 'db' | 'store'>,
  quarter: string,
  extractHash: string,
  actor: string,
): Promise<{ cycleId: string; seq: number; duplicate: boolean }> {
  const stream = `subsidy-backpay-${quarter}`;
  for (let attempt = 0; attempt < 50; attempt++) {
    const claims = (await deps.store.readStream(stream)).map((e) => e.data as { cycleId: string; seq: number; extractHash: string });
    const same = claims.find((c) => c.extractHash === extractHash);
    if (same) return { cycleId: same.cycleId, seq: same.seq, duplicate: true };
    // Runs started before claims were recorded count too.
    const legacy = await deps.db.selectFrom('subsidy_cycles').select('cycle_id').where('quarter', '=', quarter).where('run_kind', '=', 'back_pay').execute();
    const seq = Math.max(legacy.length, ...claims.map((c) => c.seq)) + 1;
    const cycleId = cycleIdFor(quarter, 'back_pay', seq);
    try {
      const result = await deps.store.append(
        stream,
        [subsidyEvent('CycleNotice', { cycleId, notice: 'BackPayRunRequested', quarter, seq, extractHash, actor }, quarter, 'back-pay', extractHash)],
        { expectedVersion: claims.length, metadata: { actor } },
      );
      if (!result.appended) {
        const claimed = result.events[0]!.data as { cycleId: string; seq: number };
        return { cycleId: claimed.cycleId, seq: claimed.seq, duplicate: true };
      }
      return { cycleId, seq, duplicate: false };
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }
  throw new Error(`could not claim a back-pay run of ${quarter}: too many concurrent uploads`);
}
