import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { checkIdNumber } from '../../platform/common/id-number';
import { activityMetadata } from '../../platform/temporal/activity-context';
import { type HousingDeps, housingEvent } from '../context';
import { buildingKeyOf, homeKeyOf, housingStreams, type ListingRecord } from '../contracts/events';
import { currentHousingPolicy } from '../rules/policy';
import { CERTIFICATES, type Certificate, LISTING_KINDS, type ListingKind } from '../rules/types';

// The listing platform (房源超市, 工作任务(一)): homes offered, demand for affordable rental housing
// (以需定购, 组织实施(二)) and buildings' owner surveys. Called by the API and the CLI.

const fen = z.number().int().positive();
/** Region codes of data/housing-policy.json: an enum in the API schema, so an unknown region never gets in. */
const codes = currentHousingPolicy().regions.map((r) => r.code);
export const regionCode = z.enum(codes as [string, ...string[]]).describe(
  currentHousingPolicy()
    .regions.map((r) => `${r.code}: ${r.name}`)
    .join('; '),
);
/** At the door: 0 m² is no home, and above 1,000 m² is a typing error, not a flat (an exception above 140 m² is a decision later). */
const MAX_AREA_DM2 = 100_000;
const idNumber = z
  .string()
  .trim()
  .refine((s) => checkIdNumber(s).ok, {
    message: 'not a valid resident ID number (GB 11643): check the 18 characters and the check character',
  })
  .transform((s) => s.toUpperCase());
const text = (max: number) => z.string().trim().min(1).max(max);
const account = z.object({ bankCode: text(20), accountNo: z.string().regex(/^\d{8,30}$/), name: text(100) });
// Floor area as text with at most two decimals ("89.5"): exact dm², no float.
const floorArea = z
  .string()
  .regex(/^\d{1,4}(\.\d{1,2})?$/, 'square metres with at most two decimals, e.g. "89.50"')
  .transform((s) => {
    const [whole = '0', part = ''] = s.split('.');
    return Number(whole) * 100 + Number(part.padEnd(2, '0'));
  })
  .refine((dm2) => dm2 > 0 && dm2 <= MAX_AREA_DM2, 'floor area must be above 0 and at most 1000 m²');
/** A listing as the platform takes it (API body, CLI file): floor area as text with at most two decimals. */
export const listingIntakeSchema = z
  .object({
    kind: z.enum(LISTING_KINDS as [ListingKind, ...ListingKind[]]),
    region: regionCode,
    address: text(200),
    complex: text(100),
    building: text(20),
    unit: text(20),
    floorAreaM2: floorArea,
    askingFen: fen,
    certificates: z.array(z.enum(CERTIFICATES as [Certificate, ...Certificate[]])).max(10),
    canRegister: z.boolean().default(true),
    documents: z.array(text(300)).max(50).default([]),
    seller: z.object({ idNumber, name: text(100), bankCode: text(20), accountNo: z.string().regex(/^\d{8,30}$/) }),
    /** 不动产权证书号 (second-hand): the same certificate is the same home. */
    propertyCertificateNo: text(60).optional(),
    /** 以旧换新: the seller's new-home purchase; with `escrow`, the proceeds go to that contract's escrow account. */
    newHome: z.object({ contract: text(60), escrow: account.optional() }).optional(),
  })
  .transform(({ floorAreaM2, ...rest }) => ({ ...rest, floorAreaDm2: floorAreaM2 }));

/** A listing as offered; the seller (developer or owner) and the account to pay are kept in the person vault only. */
export type ListingIntake = Omit<ListingRecord, 'listingId' | 'sellerRef' | 'newHome'> & {
  seller: { idNumber: string; name: string; bankCode: string; accountNo: string };
  newHome?:
    | { contract: string; escrow?: { bankCode: string; accountNo: string; name: string } | undefined }
    | undefined;
};

/** Where a listing stands: enough for the task force to find it (the 409 of a second post names it). */
export interface ExistingListing {
  listingId: string;
  stage: string;
  status: string;
  matchedBy: 'address_unit' | 'property_certificate' | 'listing_id';
}

export type ListingRegistration =
  | { listingId: string; created: true }
  | { listingId: string; created: false; existing: ExistingListing };

/** The same home offered twice is the same listing: the id comes from what identifies the home. */
export function listingIdFor(
  intake: Pick<ListingIntake, 'kind' | 'complex' | 'building' | 'unit' | 'address'>,
): string {
  const digest = createHash('sha256')
    .update([intake.kind, intake.complex, intake.building, intake.unit, intake.address].join('\u001f'))
    .digest('hex');
  return `HL-${digest.slice(0, 16)}`;
}

/** An earlier post of the same home: same address+unit, same property certificate, or the same id. */
export async function findExistingListing(
  db: HousingDeps['db'],
  home: { listingId: string; homeKey: string; propertyCertificateNo?: string | undefined },
): Promise<ExistingListing | undefined> {
  const rows = await db
    .selectFrom('housing_listings')
    .select(['listing_id', 'stage', 'status', 'home_key', 'property_certificate_no'])
    .where((eb) =>
      eb.or([
        eb('listing_id', '=', home.listingId),
        eb('home_key', '=', home.homeKey),
        ...(home.propertyCertificateNo ? [eb('property_certificate_no', '=', home.propertyCertificateNo)] : []),
      ]),
    )
    .orderBy('updated_at')
    .limit(1)
    .execute();
  const row = rows[0];
  if (!row) return undefined;
  const matchedBy =
    row.home_key === home.homeKey
      ? 'address_unit'
      : home.propertyCertificateNo && row.property_certificate_no === home.propertyCertificateNo
        ? 'property_certificate'
        : 'listing_id';
  return { listingId: row.listing_id, stage: row.stage, status: row.status, matchedBy };
}

/**
 * Registers a home once. A second post of it (same address+unit, or same property certificate) is
 * refused with the listing that exists: it never starts a second purchase nor takes a second
 * reservation. The check and the append run under a lock per home, so two posts at once find each other.
 */
export async function registerListing(
  deps: Pick<HousingDeps, 'store' | 'vault' | 'db'>,
  intake: ListingIntake,
  actor: string,
): Promise<ListingRegistration> {
  const listingId = listingIdFor(intake);
  const homeKey = homeKeyOf(intake.address, intake.unit);
  const home = { listingId, homeKey, propertyCertificateNo: intake.propertyCertificateNo };
  const before = await findExistingListing(deps.db, home);
  if (before) return { listingId: before.listingId, created: false, existing: before };
  const { seller, newHome, ...facts } = intake;
  const sellerRef = deps.vault.personRef(seller.idNumber);
  const escrowRef = newHome?.escrow
    ? deps.vault.personRef(`escrow:${newHome.contract}:${newHome.escrow.bankCode}:${newHome.escrow.accountNo}`)
    : undefined;
  // The vault first (its own connection), so the transaction below never waits on a second one.
  await deps.vault.putMany([
    { personRef: sellerRef, secrets: { ...seller } },
    ...(newHome?.escrow && escrowRef
      ? [{ personRef: escrowRef, secrets: { idNumber: `escrow:${newHome.contract}`, ...newHome.escrow } }]
      : []),
  ]);
  const record: ListingRecord = {
    listingId,
    ...facts,
    sellerRef,
    ...(newHome ? { newHome: { contract: newHome.contract, ...(escrowRef ? { escrowRef } : {}) } } : {}),
  };
  if (record.propertyCertificateNo === undefined) delete record.propertyCertificateNo;
  return deps.db.transaction().execute(async (trx) => {
    const locks = [
      `housing-home:${homeKey}`,
      ...(intake.propertyCertificateNo ? [`housing-certificate:${intake.propertyCertificateNo}`] : []),
    ].sort();
    for (const lock of locks) await sql`select pg_advisory_xact_lock(hashtext(${lock}))`.execute(trx);
    const existing = await findExistingListing(trx, home);
    if (existing) return { listingId: existing.listingId, created: false as const, existing };
    await deps.store.appendWithin(
      trx,
      housingStreams.listing(listingId),
      [housingEvent('ListingRegistered', record, listingId)],
      { metadata: activityMetadata(actor) },
    );
    return { listingId, created: true as const };
  });
}

/** Demand collected on the platform (保障性住房需求库): units wanted in a region, under a reference. */
export async function registerDemand(
  deps: Pick<HousingDeps, 'store'>,
  input: { region: string; units: number; reference: string },
  actor: string,
): Promise<void> {
  await deps.store.append(
    housingStreams.demand(input.region),
    [housingEvent('DemandRegistered', input, input.region, input.reference)],
    {
      metadata: activityMetadata(actor),
    },
  );
}

/** A building's owner survey (出售意愿); a later survey replaces the earlier figures. */
export async function recordBuildingIntent(
  deps: Pick<HousingDeps, 'store'>,
  input: { complex: string; building: string; ownersTotal: number; ownersWilling: number; reference: string },
  actor: string,
): Promise<{ buildingKey: string }> {
  const buildingKey = buildingKeyOf(input.complex, input.building);
  const { reference, ...figures } = input;
  await deps.store.append(
    housingStreams.building(buildingKey),
    [housingEvent('BuildingIntentRecorded', { buildingKey, ...figures }, buildingKey, reference)],
    {
      metadata: activityMetadata(actor),
    },
  );
  return { buildingKey };
}

/** A residential complex's owner survey (小区 as a whole, 组织实施(二)); a later survey replaces the earlier figures. */
export async function recordComplexIntent(
  deps: Pick<HousingDeps, 'store'>,
  input: { complex: string; ownersTotal: number; ownersWilling: number; reference: string },
  actor: string,
): Promise<{ complex: string }> {
  const { reference, ...figures } = input;
  await deps.store.append(
    housingStreams.complex(input.complex),
    [housingEvent('ComplexIntentRecorded', figures, input.complex, reference)],
    {
      metadata: activityMetadata(actor),
    },
  );
  return { complex: input.complex };
}
