import { type HousingPolicy, housingEntryOn, regionOf, requiredCertificates } from './policy';
import type { Check, ListingFacts, PendingDecision, ScreeningDecisions, ScreeningVerdict } from './types';

/** A recorded decision as the check's reason reads it: "granted by li: …". */
function decidedBy(decision: { granted: boolean; by: string; reason: string }, grantedWord: string): string {
  return `${decision.granted ? grantedWord : 'refused'} by ${decision.by}: ${decision.reason}`;
}

const squareMetres = (dm2: number) => `${Math.floor(dm2 / 100)}.${String(dm2 % 100).padStart(2, '0')} m²`;

/**
 * Screens a listing against the Plan. Hard failures (certificates, registrability, unknown region,
 * no unmet demand) reject at once; an area above the limit or a region outside the core areas waits
 * for a person's recorded decision, and a refused or overdue decision rejects.
 * `unmetDemand`: units of affordable-rental demand in the listing's region not yet matched (以需定购).
 */
export function screenListing(
  listing: ListingFacts,
  policy: HousingPolicy,
  unmetDemand: number,
  decisions: ScreeningDecisions = {},
): ScreeningVerdict {
  const entry = housingEntryOn(policy, listing.registeredOn);
  const checks: Check[] = [];
  const pending: PendingDecision[] = [];

  // 工作任务(三): 五证齐备 for new stock; a second-hand home has its property certificate.
  const missing = requiredCertificates(entry, listing.kind).filter(
    (certificate) => !listing.certificates.includes(certificate),
  );
  checks.push({
    rule: 'certificates',
    passed: missing.length === 0,
    reason:
      missing.length === 0
        ? `工作任务(三): ${listing.kind === 'new_stock' ? '五证齐备' : '不动产权证书 present'}`
        : `工作任务(三): missing ${missing.join(', ')}`,
  });

  // 工作任务(三): new stock must be able to obtain a property certificate (具备办理不动产权证书条件).
  if (listing.kind === 'new_stock') {
    checks.push({
      rule: 'registrable',
      passed: listing.canRegister,
      reason: listing.canRegister
        ? '工作任务(三): 具备办理不动产权证书条件'
        : '工作任务(三): cannot obtain a property certificate',
    });
  }

  // 组织实施(二): ≤ 140 m² in principle; more needs the task force's exception, with its reason.
  if (listing.floorAreaDm2 <= entry.maxFloorAreaDm2) {
    checks.push({
      rule: 'floor_area',
      passed: true,
      reason: `组织实施(二): ${squareMetres(listing.floorAreaDm2)} ≤ ${squareMetres(entry.maxFloorAreaDm2)}`,
    });
  } else {
    const overLimit = `组织实施(二): ${squareMetres(listing.floorAreaDm2)} > ${squareMetres(entry.maxFloorAreaDm2)}`;
    const exception = decisions.areaException;
    if (!exception) pending.push('area_exception');
    checks.push({
      rule: 'floor_area',
      passed: exception?.granted ?? false,
      reason: exception
        ? `${overLimit}; exception ${decidedBy(exception, 'granted')}`
        : `${overLimit}; needs an exception`,
    });
  }

  // 组织实施(一): the core areas pass; elsewhere 一事一议 with a recorded decision.
  const region = regionOf(policy, listing.region);
  if (!region) {
    checks.push({ rule: 'region', passed: false, reason: `组织实施(一): unknown region ${listing.region}` });
  } else if (region.core) {
    checks.push({ rule: 'region', passed: true, reason: `组织实施(一): core area ${region.name}` });
  } else {
    const outside = `组织实施(一): ${region.name} outside the core areas`;
    const caseByCase = decisions.caseByCase;
    if (!caseByCase) pending.push('case_by_case');
    checks.push({
      rule: 'region',
      passed: caseByCase?.granted ?? false,
      reason: caseByCase
        ? `${outside}; 一事一议 ${decidedBy(caseByCase, 'approved')}`
        : `${outside}; needs a case-by-case decision (一事一议)`,
    });
  }

  // 组织实施(二): 以需定购 — only where registered demand is not yet met.
  checks.push({
    rule: 'demand',
    passed: unmetDemand > 0,
    reason:
      unmetDemand > 0
        ? `组织实施(二) 以需定购: ${unmetDemand} unit(s) of unmet demand in ${listing.region}`
        : `组织实施(二) 以需定购: no unmet demand in ${listing.region}`,
  });

  const hardFailure = checks.some((check) => !check.passed && !isPending(check, pending));
  if (hardFailure) return { verdict: 'rejected', checks };
  if (pending.length > 0) {
    if (decisions.expired) {
      return {
        verdict: 'rejected',
        checks: [
          ...checks.map((c) =>
            isPending(c, pending) ? { ...c, reason: `${c.reason} — no decision before the deadline` } : c,
          ),
        ],
      };
    }
    return { verdict: 'pending', checks, pending };
  }
  return { verdict: 'eligible', checks };
}

function isPending(check: Check, pending: readonly PendingDecision[]): boolean {
  return (
    (check.rule === 'floor_area' && pending.includes('area_exception')) ||
    (check.rule === 'region' && pending.includes('case_by_case'))
  );
}
