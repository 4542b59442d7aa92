import { createHash } from 'node:crypto';
import { buildingKeyOf, housingStreams, type ListingRecord } from '../../domain/housing/events';
import { activityMetadata } from '../subsidy/context';
import { housingEvent, type HousingDeps } from './context';

// The listing platform (房源超市, 工作任务(一)): homes offered, demand for affordable rental housing
// (以需定购, 组织实施(二)) and buildings' owner surveys. Called by the API and the CLI.

/** A listing as offered; the seller (developer or owner) and the account to pay are kept in the person vault only. */
export type ListingIntake = Omit<ListingRecord, 'listingId' | 'sellerRef'> & {
  seller: { idNumber: string; name: string; bankCode: string; accountNo: string };
};

/** The same home offered twice is the same listing: the id comes from what identifies the home. */
export function listingIdFor(intake: Pick<ListingIntake, 'kind' | 'complex' | 'building' | 'unit' | 'address'>): string {
  const digest = createHash('sha256').update([intake.kind, intake.complex, intake.building, intake.unit, intake.address].join('\u001f')).digest('hex');
  return `HL-${digest.slice(0, 16)}`;
}

export async function registerListing(deps: Pick<HousingDeps, 'store' | 'vault'>, intake: ListingIntake, actor: string): Promise<{ listingId: string; created: boolean }> {
  const listingId = listingIdFor(intake);
  const { seller, ...facts } = intake;
  const sellerRef = deps.vault.personRef(seller.idNumber);
  await deps.vault.putMany([{ personRef: sellerRef, secrets: { ...seller } }]);
  const record: ListingRecord = { listingId, ...facts, sellerRef };
  const result = await deps.store.append(housingStreams.listing(listingId), [housingEvent('ListingRegistered', record, listingId)], {
    metadata: activityMetadata(actor),
  });
  return { listingId, created: result.appended };
}

/** Demand collected on the platform (保障性住房需求库): units wanted in a region, under a reference. */
export async function registerDemand(deps: Pick<HousingDeps, 'store'>, input: { region: string; units: number; reference: string }, actor: string): Promise<void> {
  await deps.store.append(housingStreams.demand(input.region), [housingEvent('DemandRegistered', input, input.region, input.reference)], {
    metadata: activityMetadata(actor),
  });
}

/** A building's owner survey (出售意愿); a later survey replaces the earlier figures. */
export async function recordBuildingIntent(
  deps: Pick<HousingDeps, 'store'>,
  input: { complex: string; building: string; ownersTotal: number; ownersWilling: number; reference: string },
  actor: string,
): Promise<{ buildingKey: string }> {
  const buildingKey = buildingKeyOf(input.complex, input.building);
  const { reference, ...figures } = input;
  await deps.store.append(housingStreams.building(buildingKey), [housingEvent('BuildingIntentRecorded', { buildingKey, ...figures }, buildingKey, reference)], {
    metadata: activityMetadata(actor),
  });
  return { buildingKey };
}
