import { createHash } from 'node:crypto';
import { z } from 'zod';
import { buildingKeyOf, housingStreams, type ListingRecord } from '../../domain/housing/events';
import { CERTIFICATES, LISTING_KINDS, type Certificate, type ListingKind } from '../../domain/housing/types';
import { activityMetadata } from '../subsidy/context';
import { housingEvent, type HousingDeps } from './context';

// The listing platform (房源超市, 工作任务(一)): homes offered, demand for affordable rental housing
// (以需定购, 组织实施(二)) and buildings' owner surveys. Called by the API and the CLI.

const fen = z.number().int().positive();
const text = (max: number) => z.string().trim().min(1).max(max);
// Floor area as text with at most two decimals ("89.5"): exact dm², no float.
const floorArea = z
  .string()
  .regex(/^\d{1,4}(\.\d{1,2})?$/, 'square metres with at most two decimals, e.g. "89.50"')
  .transform((s) => {
    const [whole = '0', part = ''] = s.split('.');
    return Number(whole) * 100 + Number(part.padEnd(2, '0'));
  });
/** A listing as the platform takes it (API body, CLI file): floor area as text with at most two decimals. */
export const listingIntakeSchema = z
  .object({
    kind: z.enum(LISTING_KINDS as [ListingKind, ...ListingKind[]]),
    region: text(40),
    address: text(200),
    complex: text(100),
    building: text(20),
    unit: text(20),
    floorAreaM2: floorArea,
    askingFen: fen,
    certificates: z.array(z.enum(CERTIFICATES as [Certificate, ...Certificate[]])).max(10),
    canRegister: z.boolean().default(true),
    documents: z.array(text(300)).max(50).default([]),
    seller: z.object({ idNumber: text(30), name: text(100), bankCode: text(20), accountNo: z.string().regex(/^\d{8,30}$/) }),
  })
  .transform(({ floorAreaM2, ...rest }) => ({ ...rest, floorAreaDm2: floorAreaM2 }));

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
