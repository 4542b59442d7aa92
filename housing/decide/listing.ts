import { type HousingActor, SURVEY_ROLES, TASK_FORCE_ROLES } from '../contracts/definitions';
import type { HousingEvent } from '../contracts/events';
import { offerRefusal } from '../rules/price';
import type { PendingDecision } from '../rules/types';

// The people's decisions on a listing's stream (`housingStreams.listing`), decided from its own events:
// `evolveListing` folds them, `decideListing` turns a command into the next events or refuses it. The listing
// workflow's Update validators decide on the state it holds; the activities fold the stream and append at the
// version they decided on (platform/eventstore/decide.ts). Pure and deterministic: workflow code imports it.

export interface ListingDecisionState {
  listingId: string;
  /** Screening decisions already taken (组织实施(一)(二)). */
  screeningDecided: ReadonlySet<PendingDecision>;
  surveyFiled: boolean;
  /** The firm commissioned for the appraisal (工作任务(三)). */
  appraisalFirm?: string;
  askingFen?: number;
  /** The price cap, once set: negotiation is open. */
  capFen?: number;
  offers: number;
  /** The price the seller accepted, awaiting a second person's approval. */
  agreed?: { offerNo: number; priceFen: number; negotiator: string };
  /** The offer whose approval was last decided (0: none). */
  approvalDecidedFor: number;
  approved: boolean;
}

export type ListingCommand =
  | { kind: 'screening_decision'; decision: PendingDecision; actor: HousingActor; granted: boolean; reason: string }
  | { kind: 'survey'; actor: HousingActor; passed: boolean; defects: string[]; photoRefs: string[] }
  | { kind: 'appraisal'; actor: HousingActor; valueFen: number; marketRentFen: number; reportRef: string }
  | { kind: 'offer'; actor: HousingActor; priceFen: number; sellerAccepted: boolean }
  | { kind: 'approval'; actor: HousingActor; approved: boolean; reason: string };

type EventOf<T extends HousingEvent['type']> = Extract<HousingEvent, { type: T }>;
export type ListingDecided =
  | EventOf<'AreaExceptionDecided'>
  | EventOf<'CaseByCaseDecided'>
  | EventOf<'SurveyReportFiled'>
  | EventOf<'OfferMade'>
  | EventOf<'PriceApprovalDecided'>;

/** A refusal, with the code its activity fails with (non-retryable). */
export class ListingRefused extends Error {
  override name = 'ListingRefused';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function openListing(listingId: string): ListingDecisionState {
  return {
    listingId,
    screeningDecided: new Set(),
    surveyFiled: false,
    offers: 0,
    approvalDecidedFor: 0,
    approved: false,
  };
}

/** What the workflow learns when the appraisal is commissioned: the stream's AppraisalCommissioned. */
export function appraisalCommissioned(state: ListingDecisionState, firm: string): ListingDecisionState {
  return { ...state, appraisalFirm: firm };
}

/** What the workflow learns with the price cap: the stream's ListingRegistered and PriceCapSet, as far as decided here. */
export function negotiationOpened(
  state: ListingDecisionState,
  cap: { capFen: number; askingFen: number },
): ListingDecisionState {
  return { ...state, capFen: cap.capFen, askingFen: cap.askingFen };
}

const SCREENING_EVENT = { area_exception: 'AreaExceptionDecided', case_by_case: 'CaseByCaseDecided' } as const;

/** Folds one event of the listing's stream; the events no decision here depends on leave the state as it is. */
export function evolveListing(state: ListingDecisionState, event: HousingEvent): ListingDecisionState {
  switch (event.type) {
    case 'ListingRegistered':
      return { ...state, askingFen: event.data.askingFen };
    case 'AreaExceptionDecided':
      return { ...state, screeningDecided: new Set([...state.screeningDecided, 'area_exception']) };
    case 'CaseByCaseDecided':
      return { ...state, screeningDecided: new Set([...state.screeningDecided, 'case_by_case']) };
    case 'SurveyReportFiled':
      return { ...state, surveyFiled: true };
    case 'AppraisalCommissioned':
      return { ...state, appraisalFirm: event.data.firm };
    case 'PriceCapSet':
      return { ...state, capFen: event.data.capFen };
    case 'OfferMade': {
      const { offerNo, priceFen, sellerAccepted, by } = event.data;
      return {
        ...state,
        offers: offerNo,
        ...(sellerAccepted ? { agreed: { offerNo, priceFen, negotiator: by } } : {}),
      };
    }
    case 'PriceApprovalDecided':
      return event.data.approved
        ? { ...state, approvalDecidedFor: event.data.offerNo, approved: true }
        : { ...state, approvalDecidedFor: event.data.offerNo, agreed: undefined };
    default:
      return state;
  }
}

export function checkRole(actor: HousingActor, roles: readonly string[], what: string): void {
  if (!roles.includes(actor.role))
    throw new ListingRefused('NotAllowed', `${actor.subject} (${actor.role}) may not ${what}`);
}

export function decideListing(state: ListingDecisionState, command: ListingCommand): ListingDecided[] {
  const { listingId } = state;
  switch (command.kind) {
    case 'screening_decision': {
      const { decision, actor, granted, reason } = command;
      checkRole(actor, TASK_FORCE_ROLES, 'decide on screening');
      if (state.screeningDecided.has(decision))
        throw new ListingRefused('AlreadyDecided', `the ${decision} decision on ${listingId} is already recorded`);
      if (!reason.trim()) throw new ListingRefused('ReasonMissing', 'a decision needs its reason');
      return [{ type: SCREENING_EVENT[decision], data: { listingId, granted, reason, by: actor.subject } }];
    }
    case 'survey': {
      const { actor, passed, defects, photoRefs } = command;
      checkRole(actor, SURVEY_ROLES, 'file a survey report');
      if (state.surveyFiled) throw new ListingRefused('AlreadyFiled', `${listingId} awaits no survey report`);
      if (!passed && defects.length === 0)
        throw new ListingRefused('DefectsMissing', 'a failed survey names its defects');
      return [{ type: 'SurveyReportFiled', data: { listingId, passed, defects, photoRefs, by: actor.subject } }];
    }
    case 'appraisal': {
      // Accepted, not yet recorded: the activity computes the report's price cap from the policy.
      const { actor, valueFen, marketRentFen, reportRef } = command;
      checkRole(actor, ['appraiser'], 'submit an appraisal');
      if (!state.appraisalFirm || state.capFen !== undefined)
        throw new ListingRefused('NothingToAppraise', `${listingId} awaits no appraisal`);
      if (actor.subject !== state.appraisalFirm)
        throw new ListingRefused('NotCommissioned', `${actor.subject} is not the firm commissioned for ${listingId}`);
      const fen = (value: number) => Number.isSafeInteger(value) && value > 0;
      if (!fen(valueFen) || !fen(marketRentFen))
        throw new ListingRefused('AppraisalInvalid', 'value and market rent are positive whole numbers of fen');
      if (!reportRef.trim()) throw new ListingRefused('AppraisalInvalid', "an appraisal names its report's reference");
      return [];
    }
    case 'offer': {
      const { actor, priceFen, sellerAccepted } = command;
      checkRole(actor, TASK_FORCE_ROLES, 'negotiate');
      if (state.capFen === undefined || state.approved)
        throw new ListingRefused('NotInNegotiation', `${listingId} is not in negotiation`);
      if (state.agreed) throw new ListingRefused('AwaitingApproval', `offer ${state.agreed.offerNo} awaits approval`);
      const refusal = offerRefusal(priceFen, state.capFen, state.askingFen ?? 0);
      if (refusal) throw new ListingRefused('OfferAboveCap', refusal);
      const offer = { listingId, offerNo: state.offers + 1, priceFen, capFen: state.capFen, sellerAccepted };
      return [{ type: 'OfferMade', data: { ...offer, by: actor.subject } }];
    }
    case 'approval': {
      const { actor, approved, reason } = command;
      checkRole(actor, TASK_FORCE_ROLES, 'approve a price');
      const agreed = state.agreed;
      if (!agreed || state.approved)
        throw new ListingRefused('NothingToApprove', `${listingId} has no agreed price awaiting approval`);
      // Four eyes (保障措施(三)): whoever negotiated the price never approves it.
      if (actor.subject === agreed.negotiator)
        throw new ListingRefused('FourEyes', `${actor.subject} negotiated this price and may not approve it`);
      if (!approved && !reason.trim()) throw new ListingRefused('ReasonMissing', 'a refusal needs its reason');
      const { offerNo, priceFen, negotiator } = agreed;
      return [
        {
          type: 'PriceApprovalDecided',
          data: { listingId, offerNo, priceFen, approved, reason, by: actor.subject, negotiator },
        },
      ];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}
