import { sql } from 'kysely';
import { formatYuan } from '../../platform/common/money';
import type { SubsidyDeps } from '../context';
import { renderExplanation } from '../rules/explain';

export const PAYMENT_COLUMNS = [
  'id_number',
  'jurisdiction',
  'category',
  'kind',
  'nights',
  'amount',
  'city_share',
  'county_share',
  'record_ids',
] as const;
/** CONTRACT.md's columns, then `explanation` (Chinese, one sentence per fact, joined by '；'). */
export const REPORT_COLUMNS = ['record_id', 'outcome', 'reason', 'nights', 'amount', 'explanation'] as const;

/**
 * The payments a cycle made (settled at the bank), one row each, ordered by jurisdiction, ID number,
 * kind (CONTRACT.md). The ID number comes from the vault, for this file only.
 */
export async function paymentRows(
  deps: Pick<SubsidyDeps, 'db' | 'vault'>,
  cycleId: string,
): Promise<Record<(typeof PAYMENT_COLUMNS)[number], string>[]> {
  const items = await deps.db
    .selectFrom('entitlements')
    .select([
      'person_ref',
      'jurisdiction',
      'category',
      'kind',
      'nights',
      'amount_fen',
      'city_share_fen',
      'county_share_fen',
      'record_ids',
    ])
    .where('cycle_id', '=', cycleId)
    .where('payment_status', '=', 'settled')
    .execute();
  const secrets = await deps.vault.getMany([...new Set(items.map((i) => i.person_ref))]);
  return items
    .map((i) => ({
      id_number: secrets.get(i.person_ref)?.idNumber ?? `(unknown ${i.person_ref})`,
      jurisdiction: i.jurisdiction,
      category: i.category,
      kind: i.kind,
      nights: String(i.nights),
      amount: formatYuan(Number(i.amount_fen)),
      city_share: formatYuan(Number(i.city_share_fen)),
      county_share: formatYuan(Number(i.county_share_fen)),
      record_ids: i.record_ids.join(';'),
    }))
    .sort(
      (a, b) =>
        a.jurisdiction.localeCompare(b.jurisdiction) ||
        a.id_number.localeCompare(b.id_number) ||
        a.kind.localeCompare(b.kind),
    );
}

/**
 * One row per input row (extract lines in order, then self-applications), with the county's review
 * applied: a rejected item's rows are not eligible (rejected_by_county), an excluded item's rows are
 * excluded with the code (第七条).
 */
export async function reportRows(
  deps: Pick<SubsidyDeps, 'db'>,
  cycleId: string,
): Promise<Record<(typeof REPORT_COLUMNS)[number], string>[]> {
  const rows = await deps.db
    .selectFrom('row_outcomes as r')
    .leftJoin('entitlements as e', 'e.payment_id', 'r.payment_id')
    .select([
      'r.record_id',
      'r.outcome',
      'r.reason',
      'r.nights',
      'r.amount_fen',
      'r.explanation',
      'e.review_status',
      'e.review_reason',
      'e.review_note',
      'e.payment_status',
      'e.held_reason',
      sql<number>`case when r.line_no > 0 then 0 else 1 end`.as('self_application'),
      sql<number>`abs(r.line_no)`.as('line'),
    ])
    .where('r.cycle_id', '=', cycleId)
    .orderBy('self_application')
    .orderBy('line')
    .execute();
  return rows.map((r) => {
    const explained = renderExplanation(r.explanation);
    const text = (...more: string[]) => [...more, ...explained].join('；');
    const note = r.review_note ? `：${r.review_note}` : '';
    if (r.review_status === 'rejected') {
      return {
        record_id: r.record_id,
        outcome: 'not_eligible',
        reason: 'rejected_by_county',
        nights: '0',
        amount: '0.00',
        explanation: text(`县区审核退回${note}`),
      };
    }
    if (r.review_status === 'excluded') {
      return {
        record_id: r.record_id,
        outcome: 'excluded',
        reason: r.review_reason ?? 'excluded_by_county',
        nights: '0',
        amount: '0.00',
        explanation: text(`县区审核按第七条不予支付（${r.review_reason ?? ''}）${note}`),
      };
    }
    const held = r.payment_status === 'held' ? `payment_held_${r.held_reason ?? 'unknown'}` : null;
    return {
      record_id: r.record_id,
      outcome: r.outcome,
      reason: held ?? r.reason ?? '',
      nights: String(r.nights),
      amount: formatYuan(Number(r.amount_fen)),
      explanation: text(),
    };
  });
}
