import type { StartMetadata } from '../../platform/temporal/summaries';
import type { ListingProgress, ListingStage } from '../contracts/definitions';
import type { ListingKind } from '../rules/types';

// What the Temporal UI shows for the housing workflows and activities, in Chinese. Listing ids,
// stages and counts only: never a seller's name, ID number or account.

const PLAN = '许政办〔2025〕10号';

const KIND_ZH: Record<ListingKind, string> = { new_stock: '新建商品房', second_hand: '二手房' };

export const LISTING_STAGE_ZH: Record<ListingStage, string> = {
  screening: '资格审查',
  awaiting_decision: '等待专班决定',
  waiting_for_turn: '排队等待资金',
  survey: '现场查勘',
  appraisal: '评估',
  negotiation: '议价与审批',
  contract: '签约',
  registration: '不动产登记',
  loan: '贷款',
  payment: '支付房款',
  handover: '交房',
  compensation: '撤销已办步骤',
  payment_held: '房款被银行退回',
  handed_over: '已交房',
  rejected: '未通过',
  survey_failed: '查勘未通过',
  negotiation_expired: '议价逾期',
  terminated: '已终止',
};

const DECISION_ZH = { area_exception: '面积例外', case_by_case: '一事一议' } as const;

export function listingStartMetadata(listing: { listingId: string; kind: ListingKind; region: string }): StartMetadata {
  return {
    staticSummary: `收购存量房 ${listing.listingId}（${KIND_ZH[listing.kind]}）`,
    staticDetails: [
      `**收购存量商品房** ${PLAN}`,
      `区域 ${listing.region}，${KIND_ZH[listing.kind]}。`,
      '步骤：资格审查 → 排队等待资金 → 现场查勘 → 评估（价格上限）→ 议价与另一人审批 → 签约 → 登记 → 贷款 → 支付房款 → 交房；失败时按相反顺序撤销。',
    ].join('\n\n'),
  };
}

export function listingDetailsZh(p: ListingProgress): string {
  const parts = [`当前阶段：${LISTING_STAGE_ZH[p.stage] ?? p.stage}`];
  if (p.stage === 'awaiting_decision' && p.pendingDecisions.length > 0)
    parts.push(`待决定：${p.pendingDecisions.map((d) => DECISION_ZH[d] ?? d).join('、')}`);
  if (p.offers > 0) parts.push(`报价 ${p.offers} 次`);
  if (p.payment) parts.push(`房款第 ${p.payment.attempt} 次支付`);
  return parts.join('；');
}

export function planStartMetadata(planId: string): StartMetadata {
  return {
    staticSummary: `收购计划 ${planId}：按优先顺序分配资金`,
    staticDetails: [
      `**收购计划** ${PLAN} 组织实施（一）（二）（三）`,
      '每套通过审查的房源在此排队：业主比例超过80%优先，其次是未满足的需求，再按到达顺序；资本金（异地建设费）与贷款额度够用时放行。',
    ].join('\n\n'),
  };
}

export function planDetailsZh(s: {
  queue: unknown[];
  reserved: Record<string, unknown>;
  admittedTotal: number;
}): string {
  return `排队 ${s.queue.length} 套，已占用资金 ${Object.keys(s.reserved).length} 套，累计放行 ${s.admittedTotal} 套`;
}

export const HOUSING_ACTIVITY_SUMMARIES: Record<string, string> = {
  screenListing: '资格审查（规则）',
  recordScreeningDecision: '记录专班决定',
  assessPriority: '评定排队优先级',
  recordAdmission: '记录放行',
  recordReminder: '记录提醒',
  recordSurvey: '记录查勘报告',
  appraise: '评估（价格上限）',
  commissionAppraisal: '委托评估机构',
  submitAppraisal: '记录评估报告',
  recordOffer: '记录报价',
  recordApproval: '记录审批（另一人）',
  signContract: '签订收购合同',
  terminateContract: '解除合同',
  registerPurchase: '不动产登记',
  unwindRegistration: '撤销登记',
  obtainLoanDecision: '等待银行贷款决定',
  drawLoan: '提取贷款',
  cancelLoan: '取消贷款',
  recordLoanFallback: '记录改用资本金',
  paySeller: '向卖方支付房款',
  decideSellerPayment: '记录房款处理决定',
  recordStepFailed: '记录步骤失败',
  handOver: '交房',
  closeListing: '结束房源',
  recordPlanFunds: '记录计划资金到账',
};
