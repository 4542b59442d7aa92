import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** The tables Kysely knows about. Projections add their query tables here. */
export interface Database {
  events: EventsTable;
  person_vault: PersonVaultTable;
  extracts: ExtractsTable;
  extract_rows: ExtractRowsTable;
  roster_versions: RosterVersionsTable;
  roster_entries: RosterEntriesTable;
  roster_exits: RosterExitsTable;
  roster_conflicts: RosterConflictsTable;
  corrected_nights: CorrectedNightsTable;
  subsidy_cycles: SubsidyCyclesTable;
  row_outcomes: RowOutcomesTable;
  entitlements: EntitlementsTable;
  funding_requests: FundingRequestsTable;
  recoveries: RecoveriesTable;
  payment_instructions: PaymentInstructionsTable;
  payment_corrections: PaymentCorrectionsTable;
  reconciliation_breaks: ReconciliationBreaksTable;
  housing_listings: HousingListingsTable;
  housing_demand: HousingDemandTable;
  housing_buildings: HousingBuildingsTable;
  housing_rental_stock: HousingRentalStockTable;
  housing_plan_funds: HousingPlanFundsTable;
  housing_reservations: HousingReservationsTable;
  housing_complexes: HousingComplexesTable;
}

export interface EventsTable {
  position: ColumnType<string, never, never>;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  /** Written as the UTF-8 bytes of the canonical JSON that was hashed (a binary parameter: json's binary form is its text). */
  data: ColumnType<Record<string, unknown>, Buffer, never>;
  metadata: JSONColumnType<Record<string, unknown>>;
  recorded_at: ColumnType<Date, string, never>;
  prev_hash: string;
  hash: string;
}

export type { Generated };

// Dates are ISO strings in the application; `pg` is told to return `date` columns as text (platform/db/database.ts).
type IsoDate = string;
type Fen = ColumnType<string, number | string | bigint, number | string | bigint>;

export interface PersonVaultTable {
  person_ref: string;
  key_id: string;
  sealed: Buffer;
  updated_at: ColumnType<Date, string | undefined, string>;
}

export interface ExtractsTable {
  extract_hash: string;
  file_name: string;
  rows_total: number;
  rows_valid: number;
  rows_quarantined: number;
  loaded_at: ColumnType<Date, string | undefined, never>;
}

export interface ExtractRowsTable {
  extract_hash: string;
  line_no: number;
  record_id: string;
  person_ref: string | null;
  hospital: string | null;
  admission_date: IsoDate | null;
  discharge_date: IsoDate | null;
  exclusion: string | null;
  self_application: JSONColumnType<Record<string, unknown>> | null;
  content_hash: string;
  quarantine_reason: string | null;
  quarantine_detail: string | null;
}

export interface RosterVersionsTable {
  version: number;
  file_hash: string;
  entries: number;
  changed: number;
  quarantined: number;
  loaded_at: ColumnType<Date, string, never>;
}

export interface RosterEntriesTable {
  person_ref: string;
  valid_from_version: number;
  valid_to_version: number | null;
  jurisdiction: string;
  category: string;
  gender: string;
  birth_date: IsoDate;
  female_birth_date: IsoDate | null;
  enrolled_on: IsoDate;
  exited_on: IsoDate | null;
}

export interface RosterExitsTable {
  person_ref: string;
  version: number;
  year: number;
  jurisdiction: string;
  exited_on: IsoDate;
  reason: string;
}

/** Nights a recorded correction removed from a payment (migration 0011). */
export interface CorrectedNightsTable {
  cycle_id: string;
  payment_id: string;
  record_id: string;
  person_ref: string;
  removed_nights: IsoDate[];
  admission_date: IsoDate;
  discharge_date: IsoDate;
}

export interface RosterConflictsTable {
  person_ref: string;
  version: number;
  lines: number[];
  jurisdictions: string[];
  resolved_version: number | null;
}

export interface SubsidyCyclesTable {
  cycle_id: string;
  quarter: string;
  run_kind: string;
  extract_hash: string;
  roster_version: number;
  policy_version: string;
  status: string;
  summary: JSONColumnType<Record<string, unknown>> | null;
}

export interface RowOutcomesTable {
  cycle_id: string;
  line_no: number;
  record_id: string;
  person_ref: string | null;
  jurisdiction: string | null;
  outcome: string;
  reason: string | null;
  nights: number;
  amount_fen: Fen;
  payment_id: string | null;
  /** The subsidy's explanation lines (structured facts, or sentences in older rows): typed by the subsidy, stored as JSON here. */
  explanation: JSONColumnType<(Record<string, unknown> | string)[]>;
}

export interface EntitlementsTable {
  payment_id: string;
  cycle_id: string;
  jurisdiction: string;
  seq: number;
  person_ref: string;
  category: string;
  kind: string;
  nights: number;
  amount_fen: Fen;
  city_share_fen: Fen;
  county_share_fen: Fen;
  record_ids: string[];
  night_dates: IsoDate[];
  policy_version: string;
  review_status: Generated<string>;
  review_reason: string | null;
  review_note: string | null;
  reviewed_by: string | null;
  payment_status: Generated<string>;
  attempt: Generated<number>;
  bank_payment_id: string | null;
  held_reason: string | null;
  doubt_reason: Generated<string | null>;
}

export interface FundingRequestsTable {
  cycle_id: string;
  jurisdiction: string;
  amount_fen: Fen;
  city_share_fen: Fen;
  county_share_fen: Fen;
  payments: number;
  status: string;
  confirmed_by: string | null;
}

/** The frozen content of one attempt at one payment (write-once; the account is sealed). */
export interface PaymentInstructionsTable {
  idempotency_key: string;
  payment_id: string;
  attempt: number;
  amount_fen: Fen;
  key_id: string;
  sealed: Buffer;
  digest: string;
  recorded_at: Generated<Date>;
}

/** A corrected account entered for a re-issue, sealed until the re-issue freezes it into an instruction. */
export interface PaymentCorrectionsTable {
  correction_id: string;
  payment_id: string;
  person_ref: string;
  key_id: string;
  sealed: Buffer;
  requested_by: string;
  created_at: Generated<Date>;
}

/** A difference between the bank's statement and our books, open until a person resolves it. */
export interface ReconciliationBreaksTable {
  break_id: string;
  cycle_id: string;
  payment_id: string;
  jurisdiction: string | null;
  kind: string;
  detail: ColumnType<Record<string, unknown>, string, string>;
  status: string;
  resolved_by: string | null;
  resolution: string | null;
}

export interface RecoveriesTable {
  recovery_id: string;
  payment_id: string;
  amount_fen: Fen;
  repaid_fen: Generated<Fen>;
  reason: string;
  status: string;
}

// Housing purchases (许政办〔2025〕10号): projections of the housing events (housing/projection/projection.ts).
export interface HousingListingsTable {
  listing_id: string;
  kind: string;
  region: string;
  address: string;
  complex: string;
  building: string;
  unit: string;
  floor_area_dm2: number;
  asking_fen: Fen;
  seller_ref: string;
  registered_on: IsoDate;
  stage: string;
  status: string;
  committed: boolean;
  first_in_line: boolean | null;
  capital_fen: Fen | null;
  loan_fen: Fen | null;
  appraisal_fen: Fen | null;
  cap_fen: Fen | null;
  agreed_fen: Fen | null;
  monthly_rent_fen: Fen | null;
  certificate_no: string | null;
  updated_at: ColumnType<Date, string, string>;
  /** Normalised address and unit: the home's identity (migration 0007). */
  home_key: string | null;
  property_certificate_no: string | null;
  /** 以旧换新: the seller's new-home purchase (developer listing or contract number). */
  new_home_contract: string | null;
}

export interface HousingDemandTable {
  region: string;
  units: number;
}

export interface HousingBuildingsTable {
  building_key: string;
  complex: string;
  building: string;
  owners_total: number;
  owners_willing: number;
}

export interface HousingRentalStockTable {
  listing_id: string;
  region: string;
  floor_area_dm2: number;
  monthly_rent_fen: Fen;
  price_fen: Fen;
  handed_over_at: ColumnType<Date, string, string>;
}

export interface HousingReservationsTable {
  listing_id: string;
  plan_id: string;
  status: string;
  capital_fen: Fen;
  loan_fen: Fen;
  spent_capital_fen: Fen;
  spent_loan_fen: Fen;
}

export interface HousingComplexesTable {
  complex: string;
  owners_total: number;
  owners_willing: number;
}

export interface HousingPlanFundsTable {
  plan_id: string;
  source: string;
  total_fen: Fen;
}
