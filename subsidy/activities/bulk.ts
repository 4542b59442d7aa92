import { Context } from '@temporalio/activity';
import pg from 'pg';

// What the bulk activities (ingest, compute) share: a heartbeat driven by a timer, their last
// checkpoint from the previous attempt, and one attempt at a time per piece of work.

const HEARTBEAT_EVERY_MS = 5_000;

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export interface BulkRun<Checkpoint> {
  /** The checkpoint the previous attempt last reported (undefined on a first attempt or outside Temporal). */
  resumedFrom: Checkpoint | undefined;
  /** Records a new checkpoint: sent with every heartbeat from now on. */
  checkpoint(next: Checkpoint): void;
  /** Aborted when Temporal cancels the attempt (heartbeat timeout, cancellation, worker shutdown). */
  signal: AbortSignal;
  stop(): void;
}

/**
 * Heartbeats every few seconds from a timer, carrying the latest checkpoint, so a long COPY or a
 * busy machine does not miss the heartbeat timeout (a loop that heartbeats between batches only
 * did, and Temporal started a second, overlapping attempt). Outside an activity it does nothing.
 */
export function startBulkRun<Checkpoint>(initial: Checkpoint): BulkRun<Checkpoint> {
  const context = activityContext();
  const resumedFrom = context?.info.heartbeatDetails as Checkpoint | undefined;
  let current = initial;
  const beat = () => context?.heartbeat(current);
  beat();
  const timer = context ? setInterval(beat, HEARTBEAT_EVERY_MS) : undefined;
  return {
    resumedFrom,
    checkpoint(next) {
      current = next;
    },
    signal: context?.cancellationSignal ?? new AbortController().signal,
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

/** A dedicated connection with an error listener: a lost server fails the work (and is retried), never the process. */
export async function connect(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {
    // The pending query rejects with the same error; nothing more to do here.
  });
  await client.connect();
  return client;
}

/**
 * Takes a session advisory lock on `key` (waiting for it): one attempt at a time per extract or
 * cycle, even when Temporal has given up on an attempt that is still running somewhere. The lock
 * goes with the connection, so a dead worker's lock is released by PostgreSQL.
 */
export async function lockFor(client: pg.Client, key: string, signal: AbortSignal): Promise<void> {
  const onAbort = () => closeHard(client);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await client.query('select pg_advisory_lock(hashtextextended($1, 0))', [key]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (signal.aborted) throw signal.reason;
}

/** Ends a connection at once, whatever it is doing (a COPY in progress, a query waiting on a lock). */
export function closeHard(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
