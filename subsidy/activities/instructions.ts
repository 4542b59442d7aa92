import { sql, type Transaction } from 'kysely';
import type { PaymentInstruction } from '../../platform/adapters/bank/types';
import type { Database } from '../../platform/db/schema';
import type { SubsidyDeps } from '../context';

/** The bank's idempotency key of one attempt at one payment: a resubmission of the same attempt can never pay twice. */
export function idempotencyKeyFor(paymentId: string, attempt: number): string {
  return `${paymentId}#${attempt}`;
}

/** The payment an idempotency key belongs to (the key is `paymentId#attempt`). */
export function paymentIdOfKey(key: string): { paymentId: string; attempt: number } | undefined {
  const at = key.lastIndexOf('#');
  if (at <= 0) return undefined;
  const attempt = Number(key.slice(at + 1));
  return Number.isInteger(attempt) && attempt > 0 ? { paymentId: key.slice(0, at), attempt } : undefined;
}

/** What is sealed in a frozen instruction: the account it pays and the name on it. */
interface SealedAccount {
  bankCode: string;
  accountNo: string;
  accountName: string;
}

export interface AttemptToFreeze {
  paymentId: string;
  attempt: number;
  personRef: string;
  amountFen: number;
}

/** The content of a frozen attempt, by idempotency key: what is sent, with the run's memo. */
export type FrozenContent = Omit<PaymentInstruction, 'memo'>;

export interface FrozenAttempts {
  /** The digest of each attempt for the intent event (the stored one for an attempt frozen before). */
  digests: Map<string, string>;
  /** The content of the attempts this call froze, exactly as sealed, so that they need not be read back to be sent. */
  frozenNow: Map<string, FrozenContent>;
}

/**
 * Freezes the content of each attempt — account, name and amount — read from the person vault now,
 * inside the caller's transaction (the one that appends the intent event). A row that exists already
 * is kept as it is: an attempt's content is decided once, so a retry sends exactly what was frozen,
 * whatever the roster or the vault says by then.
 */
export async function freezeInstructions(
  deps: Pick<SubsidyDeps, 'vault'>,
  trx: Transaction<Database>,
  attempts: readonly AttemptToFreeze[],
): Promise<FrozenAttempts> {
  if (attempts.length === 0) return { digests: new Map(), frozenNow: new Map() };
  const secrets = await deps.vault.getMany([...new Set(attempts.map((a) => a.personRef))], trx);
  const rows = attempts.map((a) => {
    const person = secrets.get(a.personRef);
    const key = idempotencyKeyFor(a.paymentId, a.attempt);
    const account: SealedAccount = {
      bankCode: person?.bankCode ?? '',
      accountNo: person?.accountNo ?? '',
      accountName: person?.name ?? '',
    };
    return {
      account,
      idempotency_key: key,
      payment_id: a.paymentId,
      attempt: a.attempt,
      amount_fen: a.amountFen,
      sealed: deps.vault.sealValue(account),
      digest: deps.vault.digest(key, account.bankCode, account.accountNo, a.amountFen),
    };
  });
  // Array parameters (one per column, however many attempts); base64 text for the sealed bytes,
  // which the driver escapes far faster than a bytea[]. Only the rows inserted now come back.
  const inserted = await sql<{ idempotency_key: string }>`
    insert into payment_instructions (idempotency_key, payment_id, attempt, amount_fen, key_id, sealed, digest)
    select k, p, a, f, ${deps.vault.sealKeyId}, decode(s, 'base64'), d
      from unnest(${rows.map((r) => r.idempotency_key)}::text[], ${rows.map((r) => r.payment_id)}::text[],
                  ${rows.map((r) => r.attempt)}::int[], ${rows.map((r) => r.amount_fen)}::bigint[],
                  ${rows.map((r) => r.sealed.toString('base64'))}::text[], ${rows.map((r) => r.digest)}::text[])
           as v(k, p, a, f, s, d)
    on conflict (idempotency_key) do nothing
    returning idempotency_key`.execute(trx);
  const digests = new Map<string, string>();
  const frozenNow = new Map<string, FrozenContent>();
  const fresh = new Set(inserted.rows.map((r) => r.idempotency_key));
  for (const row of rows) {
    if (!fresh.has(row.idempotency_key)) continue;
    digests.set(row.idempotency_key, row.digest);
    frozenNow.set(row.idempotency_key, {
      idempotencyKey: row.idempotency_key,
      ...row.account,
      amountFen: row.amount_fen,
    });
  }
  // An attempt frozen before keeps its content: its digest is the stored one.
  const frozenBefore = rows.filter((r) => !fresh.has(r.idempotency_key)).map((r) => r.idempotency_key);
  if (frozenBefore.length > 0) {
    const stored = await trx
      .selectFrom('payment_instructions')
      .select(['idempotency_key', 'digest'])
      .where('idempotency_key', '=', sql<string>`any(${frozenBefore}::text[])`)
      .execute();
    for (const row of stored) digests.set(row.idempotency_key, row.digest);
  }
  return { digests, frozenNow };
}

/**
 * The frozen instructions of these attempts, ready to send: those this activity froze a moment ago
 * (`frozenNow`) as they were sealed, the others read back and opened. An attempt that was never
 * frozen is an error.
 */
export async function loadInstructions(
  deps: Pick<SubsidyDeps, 'db' | 'vault'>,
  keys: readonly string[],
  memo: string,
  frozenNow: ReadonlyMap<string, FrozenContent> = new Map(),
): Promise<Map<string, PaymentInstruction>> {
  const out = new Map<string, PaymentInstruction>();
  const stored: string[] = [];
  for (const key of keys) {
    const content = frozenNow.get(key);
    if (content) out.set(key, { ...content, memo });
    else stored.push(key);
  }
  for (let i = 0; i < stored.length; i += 5_000) {
    const rows = await deps.db
      .selectFrom('payment_instructions')
      .select(['idempotency_key', 'amount_fen', 'sealed'])
      .where('idempotency_key', '=', sql<string>`any(${stored.slice(i, i + 5_000)}::text[])`)
      .execute();
    for (const row of rows) {
      const account = deps.vault.openValue<SealedAccount>(row.sealed);
      out.set(row.idempotency_key, {
        idempotencyKey: row.idempotency_key,
        ...account,
        amountFen: Number(row.amount_fen),
        memo,
      });
    }
  }
  const unfrozen = keys.filter((k) => !out.has(k));
  if (unfrozen.length > 0)
    throw new Error(`${unfrozen.length} payment attempt(s) have no frozen instruction, e.g. ${unfrozen[0]}`);
  return out;
}
