import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { ConcurrencyError } from '../../platform/eventstore';
import { type SubsidyDeps, subsidyEvent } from '../context';
import { cycleIdFor } from '../contracts/definitions';
import { kindOfBytes } from './files';

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

/** Bytes per stored chunk: a row of upload_chunks. */
const CHUNK_BYTES = 1 << 20;

/**
 * Stores an uploaded file in PostgreSQL under its SHA-256, streamed in chunks of 1 MiB: the same file
 * uploaded twice is one upload, the hash is what workflows carry instead of the data, and a worker on
 * any machine reads it through the database. Its kind is what the bytes are (a zip is an .xlsx
 * workbook, else CSV text), whatever the name says, so renaming a file never changes how it is read.
 */
export async function storeUpload(
  deps: Pick<SubsidyDeps, 'db'>,
  source: string,
): Promise<{ hash: string; kind: UploadKind; size: number }> {
  uploadKind(source); // refuses .pdf, .xls, … by name before reading them
  const hash = await sha256File(source);
  return deps.db.transaction().execute(async (trx) => {
    // Two uploads of one file at the same moment (one process or several): one stores it.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`upload:${hash}`}, 0))`.execute(trx);
    const known = await sql<{
      kind: UploadKind;
      size_bytes: string;
    }>`select kind, size_bytes from uploads where upload_hash = ${hash}`.execute(trx);
    if (known.rows[0]) return { hash, kind: known.rows[0].kind, size: Number(known.rows[0].size_bytes) };
    let seq = 0;
    let size = 0;
    let kind: UploadKind = 'csv';
    for await (const chunk of createReadStream(source, { highWaterMark: CHUNK_BYTES })) {
      const bytes = chunk as Buffer;
      if (seq === 0) kind = kindOfBytes(bytes);
      await sql`insert into upload_chunks (upload_hash, seq, data) values (${hash}, ${seq}, ${bytes})`.execute(trx);
      seq++;
      size += bytes.length;
    }
    await sql`insert into uploads (upload_hash, kind, size_bytes, chunks) values (${hash}, ${kind}, ${size}, ${seq})`.execute(
      trx,
    );
    return { hash, kind, size };
  });
}

export interface StoredUpload {
  hash: string;
  kind: UploadKind;
  size: number;
  /** The first chunk (at least HEAD_BYTES of the file, or all of it). */
  head: Buffer;
  /** The whole file, chunk after chunk, as a byte stream. */
  stream(): Readable;
}

/** A stored upload by hash, read back from PostgreSQL. */
export async function openUpload(deps: Pick<SubsidyDeps, 'db' | 'uploadsDir'>, hash: string): Promise<StoredUpload> {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`not a SHA-256: ${hash}`);
  const find = () =>
    sql<{ kind: UploadKind; size_bytes: string; chunks: number }>`
    select kind, size_bytes, chunks from uploads where upload_hash = ${hash}`.execute(deps.db);
  let upload = (await find()).rows[0];
  if (!upload) {
    // Stored in the upload folder before uploads moved to PostgreSQL (a cycle in flight across the upgrade).
    const legacy = existsSync(deps.uploadsDir)
      ? readdirSync(deps.uploadsDir).find((f) => /^[0-9a-f]{64}\.(csv|xlsx)$/.test(f) && f.startsWith(hash))
      : undefined;
    if (!legacy) throw new Error(`no upload with hash ${hash}`);
    await storeUpload(deps, path.join(deps.uploadsDir, legacy));
    upload = (await find()).rows[0]!;
  }
  const chunk = async (seq: number): Promise<Buffer> =>
    (
      await sql<{ data: Buffer }>`select data from upload_chunks where upload_hash = ${hash} and seq = ${seq}`.execute(
        deps.db,
      )
    ).rows[0]!.data;
  const head = upload.chunks > 0 ? await chunk(0) : Buffer.alloc(0);
  return {
    hash,
    kind: upload.kind,
    size: Number(upload.size_bytes),
    head,
    stream: () =>
      Readable.from(
        (async function* () {
          for (let seq = 0; seq < upload.chunks; seq++) yield seq === 0 ? head : await chunk(seq);
        })(),
        { objectMode: false },
      ),
  };
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
    const claims = (await deps.store.readStream(stream)).map(
      (e) => e.data as { cycleId: string; seq: number; extractHash: string },
    );
    const same = claims.find((c) => c.extractHash === extractHash);
    if (same) return { cycleId: same.cycleId, seq: same.seq, duplicate: true };
    // Runs started before claims were recorded count too.
    const legacy = await deps.db
      .selectFrom('subsidy_cycles')
      .select('cycle_id')
      .where('quarter', '=', quarter)
      .where('run_kind', '=', 'back_pay')
      .execute();
    const seq = Math.max(legacy.length, ...claims.map((c) => c.seq)) + 1;
    const cycleId = cycleIdFor(quarter, 'back_pay', seq);
    try {
      const result = await deps.store.append(
        stream,
        [
          subsidyEvent(
            'CycleNotice',
            { cycleId, notice: 'BackPayRunRequested', quarter, seq, extractHash, actor },
            quarter,
            'back-pay',
            extractHash,
          ),
        ],
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
