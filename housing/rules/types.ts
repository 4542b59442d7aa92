// The facts of a purchase of existing housing (许政办〔2025〕10号, "the Plan"). Money is integer fen;
// floor area is integer dm² (0.01 m²), so 140 m² is 14000 and no float ever touches a price.

export type IsoDate = string;

/** 存量商品房 from a developer, or a second-hand home from its owner (以旧换新). 工作任务(一). */
export type ListingKind = 'new_stock' | 'second_hand';
export const LISTING_KINDS: readonly ListingKind[] = ['new_stock', 'second_hand'];

/** 五证 of new stock, and the property certificate of a second-hand home (工作任务(三)). */
export type Certificate =
  | 'land_use' // 国有土地使用证
  | 'land_planning' // 建设用地规划许可证
  | 'construction_planning' // 建设工程规划许可证
  | 'construction_permit' // 建筑工程施工许可证
  | 'sales_permit' // 商品房预售（销售）许可证
  | 'property_certificate'; // 不动产权证书
export const CERTIFICATES: readonly Certificate[] = [
  'land_use',
  'land_planning',
  'construction_planning',
  'construction_permit',
  'sales_permit',
  'property_certificate',
];

/** What screening needs to know about a listing: small facts, no personal data. */
export interface ListingFacts {
  listingId: string;
  kind: ListingKind;
  region: string;
  floorAreaDm2: number;
  askingFen: number;
  certificates: readonly Certificate[];
  /** 具备办理不动产权证书条件 (new stock): the home can be registered to the buyer. */
  canRegister: boolean;
  registeredOn: IsoDate;
}

/** One rule applied to a listing, with the Plan's article, so a verdict explains itself. */
export interface Check {
  rule: 'certificates' | 'registrable' | 'floor_area' | 'region' | 'demand';
  passed: boolean;
  /** Why, in words an auditor reads; cites the Plan. */
  reason: string;
}

/** A decision a person takes during screening (and who took it), fed back into the rules. */
export interface ScreeningDecision {
  granted: boolean;
  reason: string;
  by: string;
}

export interface ScreeningDecisions {
  /** 组织实施(二): an area above 140 m² needs an explicit exception from the task force. */
  areaException?: ScreeningDecision;
  /** 组织实施(一): outside the core areas, a case-by-case decision (一事一议). */
  caseByCase?: ScreeningDecision;
  /** The decisions were not taken before the deadline. */
  expired?: boolean;
}

export type PendingDecision = 'area_exception' | 'case_by_case';

export type ScreeningVerdict =
  | { verdict: 'eligible'; checks: Check[] }
  | { verdict: 'rejected'; checks: Check[] }
  | { verdict: 'pending'; checks: Check[]; pending: PendingDecision[] };
