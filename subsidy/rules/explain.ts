// Explanations as data: the rules core records *facts* (a night range and its verdict, the record
// that owns an overlapping night, an excluded stay over the same dates, a correction's before/after);
// renderExplanation turns them into sentences for a county reviewer — Chinese by default, English on
// request — so the console, the API and report.csv say the same thing. Reason codes stay stable.

import { formatYuan } from '../../platform/common/money';
import type { Category, ExclusionCode, ExplanationFact, IsoDate } from './types';

// The facts are defined beside the types they carry (./types); named here too, where readers look for them.
export type { ExplanationFact } from './types';

export type Lang = 'zh' | 'en';

/** A stored explanation line: a fact, or (events written before explanations were data) a ready English sentence. */
export type ExplanationLine = ExplanationFact | string;

const CATEGORY_ZH: Record<Category, string> = {
  one_child_parent: '独生子女父母',
  bereaved: '失独家庭父母',
  disabled_child: '独生子女伤残家庭父母',
};

const EXCLUSION_EN: Record<ExclusionCode, string> = {
  traffic_insured: 'traffic accident already compensated by an insurer',
  illegal_driving: 'injury from illegal driving (drunk, unlicensed or drugged driving, hit-and-run)',
  workplace_violation: 'injury from breaking operating rules on a site or in a workshop',
  unlicensed_activity: 'injury from unlicensed construction, production or practice',
  abroad: 'treatment abroad (境外就医)',
};
const EXCLUSION_ZH: Record<ExclusionCode, string> = {
  traffic_insured: '交通事故已由保险公司赔付',
  illegal_driving: '违法驾驶（酒驾、无证驾驶、毒驾、肇事逃逸）致伤',
  workplace_violation: '在工地或车间违反操作规程致伤',
  unlicensed_activity: '无证施工、生产或执业致伤',
  abroad: '境外就医',
};
const QUARANTINE_ZH: Record<string, string> = {
  missing_field: '缺少必填项',
  bad_id_format: '身份证号码格式错误',
  bad_id_checksum: '身份证号码校验位错误',
  impossible_date: '日期不存在',
  discharge_before_admission: '出院日期早于入院日期',
  future_date: '日期晚于今天',
  unknown_exclusion: '不支付原因代码不在约定列表中（第七条），不作猜测',
  duplicate_conflict: '同一记录号出现多次且内容不同，均不采信',
  duplicate_record: '与同一文件中前一行完全重复',
  unknown_jurisdiction: '户籍地代码未知',
};

function rangeEn(from: IsoDate, to: IsoDate): string {
  return from === to ? from : `${from}..${to}`;
}
function rangeZh(from: IsoDate, to: IsoDate): string {
  return from === to ? from : `${from}至${to}`;
}
const nightsEn = (nights: number) => (nights === 1 ? '1 night' : `${nights} nights`);
function nightCount(from: IsoDate, to: IsoDate): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;
}

function en(f: ExplanationFact): string {
  switch (f.kind) {
    case 'counted':
      return `${rangeEn(f.from, f.to)} counted: ${nightsEn(f.nights)} × ${formatYuan(f.rateFen)} yuan = ${formatYuan(f.rateFen * f.nights)} yuan (${CATEGORY_ZH[f.category]}, 第四条${f.splitYear !== null ? `; ${f.splitYear} nights at ${f.splitYear}'s rate, 第五条` : ''})`;
    case 'night_already_paid':
      return `${rangeEn(f.from, f.to)} not counted: already paid by an earlier cycle (a night is paid once)`;
    case 'before_enrolment':
      return `${rangeEn(f.from, f.to)} not counted: not yet on the roster (enrolled from ${f.enrolledOn}, 第二条/第六条)`;
    case 'after_exit':
      return `${rangeEn(f.from, f.to)} not counted: off the roster from ${f.exitedOn} (exit, 第十一条)`;
    case 'under_age': {
      const who =
        f.subject === 'beneficiary'
          ? `the beneficiary is under ${f.minAge}`
          : `the family's female partner is under ${f.minAge}`;
      return `${rangeEn(f.from, f.to)} not counted: age rule not met, ${who} on ${f.from === f.to ? 'that night' : 'those nights'} (第四条)`;
    }
    case 'annual_cap':
      return `${rangeEn(f.from, f.to)} not counted: annual cap of ${f.cap} nights for ${f.year} reached (第四条)`;
    case 'overlap':
      return `${rangeEn(f.from, f.to)} not counted: the night belongs to overlapping record ${f.ownerRecordId} (earlier admission or lower record id; a night is paid once)`;
    case 'excluded':
      return `not paid: ${EXCLUSION_EN[f.code]} (第七条, ${f.code})`;
    case 'record_already_paid':
      return 'not paid again: this record was already paid by an earlier cycle';
    case 'discharged_after_quarter':
      return `discharged ${f.dischargeDate}, after ${f.quarter}: paid by the cycle of its discharge quarter (第十条)`;
    case 'carried_forward':
      return `carried forward: stored from line ${f.line} of the ${f.fromQuarter} extract, computed by the cycle of its discharge quarter`;
    case 'not_on_roster':
      return 'not paid: the person is not on the county-confirmed beneficiary roster (第二条, 第六条)';
    case 'roster_conflict':
      return 'not paid: the person is on two different lines of the roster; the counties must resolve it (第六条)';
    case 'overlapping_excluded_stay':
      return `note: record ${f.recordId} of the same person, ${f.admissionDate}..${f.dischargeDate}, overlaps this stay and is excluded (${f.code}, 第七条): probably the same injury — check before approving`;
    case 'quarantined':
      return `quarantined: ${f.detail}`;
    case 'correction':
      return `correction of an earlier record: ${f.before.admissionDate}..${f.before.dischargeDate} before, ${f.after.admissionDate}..${f.after.dischargeDate} now`;
  }
}

function zh(f: ExplanationFact): string {
  switch (f.kind) {
    case 'counted':
      return `${rangeZh(f.from, f.to)} 计入 ${f.nights} 天 × ${formatYuan(f.rateFen)} 元 = ${formatYuan(f.rateFen * f.nights)} 元（${CATEGORY_ZH[f.category]}，第四条${f.splitYear !== null ? `；跨年住院，${f.splitYear} 年的天数按该年标准，第五条` : ''}）`;
    case 'night_already_paid':
      return `${rangeZh(f.from, f.to)} 不计：${nightCount(f.from, f.to)} 天已由以前周期支付（同一天只付一次）`;
    case 'before_enrolment':
      return `${rangeZh(f.from, f.to)} 不计：尚未纳入扶助名单（${f.enrolledOn} 起纳入，第二条、第六条）`;
    case 'after_exit':
      return `${rangeZh(f.from, f.to)} 不计：已于 ${f.exitedOn} 退出扶助名单（第十一条）`;
    case 'under_age':
      return `${rangeZh(f.from, f.to)} 不计：不满足年龄条件，${f.subject === 'beneficiary' ? '本人' : '女方'}未满 ${f.minAge} 周岁（第四条）`;
    case 'annual_cap':
      return `${rangeZh(f.from, f.to)} 不计：${f.year} 年已达每年最多 ${f.cap} 天的上限（第四条）`;
    case 'overlap':
      return `${rangeZh(f.from, f.to)} 不计：与记录 ${f.ownerRecordId} 住院时间重叠，这些天归该记录（入院早者优先，同日入院取记录号小者；同一天只付一次）`;
    case 'excluded':
      return `不予支付：${EXCLUSION_ZH[f.code]}（第七条，${f.code}）`;
    case 'record_already_paid':
      return '不再支付：该记录已由以前周期支付';
    case 'discharged_after_quarter':
      return `出院日期 ${f.dischargeDate} 晚于 ${f.quarter}：由出院所在季度的周期计算支付（第十条）`;
    case 'carried_forward':
      return `结转记录：来自 ${f.fromQuarter} 医保数据第 ${f.line} 行，按出院所在季度由本周期计算`;
    case 'not_on_roster':
      return '不予支付：不在县级卫健部门确认的扶助对象名单中（第二条、第六条）';
    case 'roster_conflict':
      return '不予支付：同一人在名单文件中出现在两行且内容不同，待县区核实后处理（第六条）';
    case 'overlapping_excluded_stay':
      return `提示：同一人的记录 ${f.recordId}（${f.admissionDate}至${f.dischargeDate}）与本次住院时间重叠且已按第七条不予支付（${f.code}），可能是同一伤情，审核时请核实`;
    case 'quarantined':
      return `数据有误，已隔离：${QUARANTINE_ZH[f.reason] ?? f.reason}（${f.detail}）`;
    case 'correction':
      return `更正记录：原 ${f.before.admissionDate}至${f.before.dischargeDate}，现 ${f.after.admissionDate}至${f.after.dischargeDate}`;
  }
}

/**
 * One sentence per fact, in the reviewer's language. A legacy sentence (plain text) is shown as it was
 * stored. Lines read back from the database are JSON the projection wrote from ExplanationLine values.
 */
export function renderExplanation(
  lines: readonly (ExplanationLine | Record<string, unknown>)[],
  lang: Lang = 'zh',
): string[] {
  return (lines as readonly ExplanationLine[]).map((line) =>
    typeof line === 'string' ? line : lang === 'en' ? en(line) : zh(line),
  );
}
