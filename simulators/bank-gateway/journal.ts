import { randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * An append-only JSON-lines journal: the simulated bank's ledger of record. Every append is written
 * and fsynced before the caller answers anyone, and the whole file is replayed on start, so a
 * restart (or a kill) of the simulator loses nothing it has acknowledged.
 */
export class Journal<R> {
  private constructor(
    private fd: number | undefined,
    readonly file: string,
  ) {}

  /** Opens (creating if needed) `dir/name`, repairs a torn last line, and feeds every record to `apply`. */
  static async open<R>(dir: string, name: string, apply: (record: R) => void): Promise<Journal<R>> {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, name);
    const created = !existsSync(file);
    const fd = openSync(file, 'a+');
    if (created) fsyncDir(dir);
    dropTornTail(fd);
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      if (line === '') continue;
      let record: R;
      try {
        record = JSON.parse(line) as R;
      } catch {
        // A complete line that does not parse is damage, not a crash artefact: refuse to guess.
        throw new Error(`bank journal ${file} is corrupt at line ${lineNo}`);
      }
      apply(record);
    }
    return new Journal<R>(fd, file);
  }

  /** Durably appends the records as one write: all of them are on disk when this returns. */
  append(records: readonly R[]): void {
    if (records.length === 0) return;
    if (this.fd === undefined) throw new Error('bank journal is closed');
    const buffer = Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + '\n', 'utf8');
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(this.fd, buffer, offset);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/** A crash in the middle of a write can leave a partial last line; cut it so the next append starts clean. */
function dropTornTail(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const chunk = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const read = readSync(fd, chunk, 0, end - start, start);
    const at = chunk.subarray(0, read).lastIndexOf(0x0a);
    if (at !== -1) {
      const keep = start + at + 1;
      if (keep !== size) {
        ftruncateSync(fd, keep);
        fsyncSync(fd);
      }
      return;
    }
    end = start;
  }
  ftruncateSync(fd, 0);
  fsyncSync(fd);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform lets a directory be fsynced; the file's own fsync still holds.
  }
}

/** The key for the ledger's account pseudonyms: made once per ledger, kept beside the journal. */
export function ledgerSecret(dir: string): Buffer {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'ledger.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  const secret = randomBytes(32);
  writeFileSync(file, secret.toString('hex') + '\n', { mode: 0o600, flush: true });
  return secret;
}
