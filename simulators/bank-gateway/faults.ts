import { z } from 'zod';

/**
 * What can go wrong with a request to the gateway. The first three strike before anything is
 * recorded; the `commit_then_*` ones strike after the ledger has durably taken the request, so
 * the caller loses the answer to something that did happen — the case idempotency keys exist for.
 */
export const FAULT_EFFECTS = [
  'timeout',
  'error_500',
  'error_503',
  'commit_then_timeout',
  'commit_then_503',
  'commit_then_reset',
] as const;
export type FaultEffect = (typeof FAULT_EFFECTS)[number];

/** Which requests a rule applies to: batch submissions, status queries (single or bulk), or both. */
export type FaultTarget = 'submit' | 'query' | 'any';

export const faultRuleSchema = z
  .object({
    effect: z.enum(FAULT_EFFECTS),
    on: z.enum(['submit', 'query', 'any']).default('any'),
    /** Strike the next N matching requests, then retire. */
    next: z.number().int().positive().optional(),
    /** Or strike each matching request with this probability (seeded PRNG, reproducible). */
    probability: z.number().min(0).max(1).optional(),
  })
  .refine((r) => (r.next === undefined) !== (r.probability === undefined), {
    message: 'give exactly one of next or probability',
  });
export type FaultRule = z.input<typeof faultRuleSchema>;

export const faultsSchema = z.object({
  /** Seed of the PRNG that draws probabilistic faults; the same seed gives the same sequence. */
  seed: z.number().int().optional(),
  /** Replaces the active rules (an empty list clears them). */
  rules: z.array(faultRuleSchema).optional(),
  /** How long a timeout hangs before the connection is dropped; longer than any client's timeout. */
  hangMs: z.number().int().nonnegative().optional(),
  /** Accounts whose payments are accepted but then fail at settlement with 'account_closed' (added). */
  closedAccounts: z.array(z.string()).optional(),
  /** Accounts refused at submission with 'invalid_account' (added). */
  invalidAccounts: z.array(z.string()).optional(),
});
export type BankFaults = z.input<typeof faultsSchema>;

/** mulberry32: tiny, fast and good enough to make fault sequences reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ActiveRule {
  effect: FaultEffect;
  on: FaultTarget;
  remaining?: number;
  probability?: number;
}

/** The gateway's current fault plan: rules in order, the first that strikes decides a request's fate. */
export class FaultPlan {
  private rules: ActiveRule[] = [];
  private random = seededRandom(1);
  hangMs = 30_000;
  /** How many requests each effect has struck since start, for tests to assert on. */
  readonly struck: Record<FaultEffect, number> = Object.fromEntries(FAULT_EFFECTS.map((e) => [e, 0])) as Record<
    FaultEffect,
    number
  >;

  configure(input: {
    seed?: number | undefined;
    rules?: z.output<typeof faultRuleSchema>[] | undefined;
    hangMs?: number | undefined;
  }): void {
    if (input.seed !== undefined) this.random = seededRandom(input.seed);
    if (input.hangMs !== undefined) this.hangMs = input.hangMs;
    if (input.rules !== undefined) {
      this.rules = input.rules.map((r) => ({
        effect: r.effect,
        on: r.on,
        ...(r.next !== undefined ? { remaining: r.next } : {}),
        ...(r.probability !== undefined ? { probability: r.probability } : {}),
      }));
    }
  }

  /** Decides whether this request is hit, consuming a count or a random draw. */
  draw(target: Exclude<FaultTarget, 'any'>): FaultEffect | undefined {
    for (const rule of this.rules) {
      if (rule.on !== 'any' && rule.on !== target) continue;
      if (rule.remaining !== undefined) {
        if (rule.remaining <= 0) continue;
        rule.remaining--;
      } else if (this.random() >= (rule.probability ?? 0)) {
        continue;
      }
      this.struck[rule.effect]++;
      return rule.effect;
    }
    return undefined;
  }

  describe(): { rules: ActiveRule[]; hangMs: number; struck: Record<FaultEffect, number> } {
    return {
      rules: this.rules.filter((r) => r.remaining === undefined || r.remaining > 0).map((r) => ({ ...r })),
      hangMs: this.hangMs,
      struck: { ...this.struck },
    };
  }
}
