import { quarterZh, type StartMetadata, yuanZh } from '../../platform/temporal/summaries';
import type { CycleProgress, CycleStage, ReviewProgress, RunKind } from '../contracts/definitions';
import { jurisdictionName } from '../rules/jurisdictions';

// What the Temporal UI shows for the subsidy's workflows and activities, in Chinese: a summary and
// details at the start (given by whoever starts the workflow), current details as it goes on. Ids,
// counts and amounts only — never an ID number, a name or an account.

const MEASURE = '许政办〔2025〕15号';

function countyZh(code: string): string {
  return jurisdictionName(code) ?? code;
}

/** An ISO instant → its date in China Standard Time. */
function dateZh(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 10);
}

export const CYCLE_STAGE_ZH: Record<CycleStage, string> = {
  extract: '等待医保数据',
  extract_rejected: '医保数据被退回',
  ingest: '导入校验',
  compute: '计算补助',
  review: '县级审核',
  funding: '拨款确认',
  payment: '发放到社保卡',
  close: '对账结算',
  closed: '已结束',
};

export function cycleStartMetadata(input: { quarter: string; runKind?: RunKind | undefined }): StartMetadata {
  const kind = input.runKind === 'back_pay' ? '补发（漏报）' : '季度发放';
  return {
    staticSummary: `住院护理扶助 ${quarterZh(input.quarter)} ${kind}`,
    staticDetails: [
      `**住院护理扶助** ${MEASURE} 第十条、第十二条`,
      `季度：${quarterZh(input.quarter)}（${kind}）`,
      '阶段：医保数据 → 导入校验 → 计算补助 → 县级审核 → 拨款确认（市40%、县60%）→ 发放到社保卡 → 对账结算',
      '历史中只有编号、哈希与计数；明细在 PostgreSQL 的事件与查询表中。',
    ].join('\n\n'),
  };
}

/** The cycle's current details: its stage and the counts known so far. */
export function cycleDetailsZh(p: CycleProgress): string {
  const head = `当前阶段：${CYCLE_STAGE_ZH[p.stage]}`;
  const items = p.jurisdictions.reduce((n, j) => n + j.items, 0);
  const amount = p.jurisdictions.reduce((n, j) => n + j.amountFen, 0);
  const rows = p.rows ? `医保数据 ${p.rows.total} 行（有效 ${p.rows.valid}，隔离 ${p.rows.quarantined}）` : undefined;
  const parts: (string | undefined)[] = [head];
  switch (p.stage) {
    case 'extract':
      if (p.deadlines)
        parts.push(`报送截止 ${dateZh(p.deadlines.extractDue)}${p.deadlines.provisional ? '（暂定）' : ''}`);
      break;
    case 'extract_rejected':
      parts.push('文件无法读取，等待上传更正后的文件');
      break;
    case 'compute':
      parts.push(rows);
      break;
    case 'review':
      parts.push(rows, `${p.jurisdictions.length} 个县区，${items} 条，${yuanZh(amount)}`);
      if (p.deadlines)
        parts.push(`审核截止 ${dateZh(p.deadlines.reviewDue)}${p.deadlines.provisional ? '（暂定）' : ''}`);
      break;
    case 'funding':
    case 'payment':
    case 'close':
    case 'closed':
      parts.push(
        rows,
        `${items} 条，${yuanZh(amount)}`,
        `拨款已确认 ${p.fundingConfirmed.length}/${p.jurisdictions.filter((j) => j.items > 0).length} 个县区`,
      );
      break;
    default:
      break;
  }
  return parts.filter((s) => s !== undefined).join('；');
}

export function reviewStartMetadata(quarter: string, jurisdiction: string, items: number): StartMetadata {
  return {
    staticSummary: `县级审核 ${countyZh(jurisdiction)} ${quarterZh(quarter)}（${items} 条）`,
    staticDetails: [
      `**县级审核** ${MEASURE} 第十条第二项`,
      `${countyZh(jurisdiction)}（${jurisdiction}）的审核员按选择批准、驳回或排除，录入第七条自行申请，然后提交。`,
      '审核截止后提醒，再逾期上报市卫健委。',
    ].join('\n\n'),
  };
}

export function reviewDetailsZh(p: ReviewProgress): string {
  const decided = `共 ${p.items} 条：批准 ${p.approved}，驳回 ${p.rejected}，排除 ${p.excluded}，未决 ${p.undecided}`;
  return `${p.submitted ? '已提交' : '审核中'}；${decided}`;
}

export function paymentRunStartMetadata(quarter: string, jurisdiction: string): StartMetadata {
  return {
    staticSummary: `发放 ${countyZh(jurisdiction)} ${quarterZh(quarter)}`,
    staticDetails: [
      `**发放到社保卡** ${MEASURE} 第十条第三项`,
      `${countyZh(jurisdiction)}（${jurisdiction}）已批准的补助逐笔发往银行，每笔带幂等键；银行退回的留待更正账户后重发。`,
    ].join('\n\n'),
  };
}

export function paymentRunDetailsZh(p: { instructed: number; pending: number; settled: number; held: number }): string {
  return `已发出 ${p.instructed} 笔：待银行结算 ${p.pending}，已到账 ${p.settled}，被银行退回 ${p.held}`;
}

export function reissueStartMetadata(attempt: number | undefined): StartMetadata {
  return {
    staticSummary: `重发被退回的补助${attempt !== undefined ? `（第 ${attempt} 次尝试）` : ''}`,
    staticDetails: [
      '**重发**：账户更正后再次发放被银行退回的一笔补助。',
      '先向银行核实此前每次尝试均未到账，再以新的幂等键发出；更正后的账户加密存于 PostgreSQL，不进历史。',
    ].join('\n\n'),
  };
}

export function recoveryStartMetadata(amountFen: number, reason: string): StartMetadata {
  // A person's free-text reason may name people: it stays in the event, not in the UI's summary.
  const why = reason === 'record_corrected' ? '医保记录更正后多付' : '经核实的骗取或多付，详见追回事件';
  return {
    staticSummary: `追回 ${yuanZh(amountFen)}`,
    staticDetails: [
      `**追回** ${MEASURE} 第十三条：对已发放的一笔补助立应收款，原发放记录不改动。`,
      `原因：${why}。未还清前定期提醒。`,
    ].join('\n\n'),
  };
}

export function recoveryDetailsZh(s: { amountFen: number; repaidFen: number; reminders: number }): string {
  return `应收 ${yuanZh(s.amountFen)}，已还 ${yuanZh(s.repaidFen)}，已提醒 ${s.reminders} 次`;
}

export function bankReconciliationStartMetadata(quarter: string): StartMetadata {
  return {
    staticSummary: `银行对账跟踪 ${quarterZh(quarter)}`,
    staticDetails: '**银行对账**：结算后每天将账面与银行流水逐笔核对，直到每笔都有最终结果、每个差异都有人处理。',
  };
}

export function bankReconciliationDetailsZh(r: { checks: number; openBreaks: number; notFinal: number }): string {
  return `已核对 ${r.checks} 次；未处理差异 ${r.openBreaks}，银行未给最终结果 ${r.notFinal}`;
}

export const launcherStartMetadata: StartMetadata = {
  staticSummary: '季度启动：启动上一季度的住院护理扶助发放',
  staticDetails: [
    `**季度计划** ${MEASURE} 第十条：每季度第一天 00:05（北京时间）启动上一季度的发放；`,
    '11月1日、12月1日检查下一年节假日安排是否已导入。',
  ].join('\n\n'),
};

/** The Chinese line beside each activity in the UI. */
export const SUBSIDY_ACTIVITY_SUMMARIES: Record<string, string> = {
  cycleDeadlines: '计算本季度截止日期（工作日）',
  recordCycleEvent: '记录发放周期事件',
  ingestExtract: '导入并校验医保数据（COPY，坏行隔离）',
  computeEntitlements: '按规则计算每人补助（第四条、第五条）',
  correctionRecoveries: '查找记录更正后需追回的发放',
  requestFunding: '提交拨款申请（市40%、县60%）',
  confirmFunding: '记录财政确认拨款',
  closeCycle: '对账结算（账面与银行）',
  recordReviewDecision: '记录审核决定',
  addSelfApplication: '录入自行申请（第七条）',
  submitReview: '提交县级审核',
  instructPayments: '向银行发出补助',
  pollSettlements: '查询银行结算结果',
  reissuePayment: '核实此前尝试并重发',
  reconcileWithBank: '与银行流水逐笔核对',
  openRecovery: '立追回应收款',
  recordRepayment: '记录还款',
  recordRecoveryReminder: '记录追回提醒',
  checkHolidayArrangement: '检查下一年节假日安排',
};
