import ExcelJS from 'exceljs';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database';
import { currentHousingPolicy } from '../rules/policy';

// The task force's weekly progress report (保障措施(二)): listings per stage, the plan's funds
// reserved and spent by source (capital = 异地建设费, loans), homes handed over per region against
// demand. Read from the query tables only, which are projections of the events: `audit rebuild`
// reproduces every figure here.

export interface FundsBySource {
  source: 'capital' | 'loan_capacity';
  totalFen: number;
  reservedFen: number;
  spentFen: number;
  freeFen: number;
}

export interface HousingProgressReport {
  planId: string;
  generatedAt: string;
  listingsByStage: { stage: string; listings: number }[];
  funds: FundsBySource[];
  regions: {
    region: string;
    name: string;
    demandUnits: number;
    committed: number;
    handedOver: number;
    floorAreaDm2: number;
    spentFen: number;
  }[];
}

export async function housingProgressReport(db: Db, planId: string, now = new Date()): Promise<HousingProgressReport> {
  const stages = await db
    .selectFrom('housing_listings')
    .select(['stage', sql<string>`count(*)`.as('n')])
    .groupBy('stage')
    .orderBy('stage')
    .execute();
  const totals = await db
    .selectFrom('housing_plan_funds')
    .select(['source', 'total_fen'])
    .where('plan_id', '=', planId)
    .execute();
  const held = await db
    .selectFrom('housing_reservations')
    .select([
      sql<string>`coalesce(sum(case when status = 'reserved' then capital_fen else 0 end), 0)`.as('reserved_capital'),
      sql<string>`coalesce(sum(case when status = 'reserved' then loan_fen else 0 end), 0)`.as('reserved_loan'),
      sql<string>`coalesce(sum(spent_capital_fen), 0)`.as('spent_capital'),
      sql<string>`coalesce(sum(spent_loan_fen), 0)`.as('spent_loan'),
    ])
    .where('plan_id', '=', planId)
    .executeTakeFirstOrThrow();
  const total = (source: string) => Number(totals.find((t) => t.source === source)?.total_fen ?? 0);
  const pool = (source: 'capital' | 'loan_capacity', reserved: string, spent: string): FundsBySource => {
    const t = total(source);
    return {
      source,
      totalFen: t,
      reservedFen: Number(reserved),
      spentFen: Number(spent),
      freeFen: t - Number(reserved) - Number(spent),
    };
  };
  const demand = await db.selectFrom('housing_demand').select(['region', 'units']).execute();
  const committed = await db
    .selectFrom('housing_listings')
    .select(['region', sql<string>`count(*)`.as('n')])
    .where('committed', '=', true)
    .groupBy('region')
    .execute();
  const stock = await db
    .selectFrom('housing_rental_stock')
    .select([
      'region',
      sql<string>`count(*)`.as('n'),
      sql<string>`sum(floor_area_dm2)`.as('area'),
      sql<string>`sum(price_fen)`.as('spent'),
    ])
    .groupBy('region')
    .execute();
  const regions = currentHousingPolicy().regions.map((r) => {
    const s = stock.find((x) => x.region === r.code);
    return {
      region: r.code,
      name: r.name,
      demandUnits: demand.find((d) => d.region === r.code)?.units ?? 0,
      committed: Number(committed.find((c) => c.region === r.code)?.n ?? 0),
      handedOver: Number(s?.n ?? 0),
      floorAreaDm2: Number(s?.area ?? 0),
      spentFen: Number(s?.spent ?? 0),
    };
  });
  return {
    planId,
    generatedAt: now.toISOString(),
    listingsByStage: stages.map((s) => ({ stage: s.stage, listings: Number(s.n) })),
    funds: [
      pool('capital', held.reserved_capital, held.spent_capital),
      pool('loan_capacity', held.reserved_loan, held.spent_loan),
    ],
    regions,
  };
}

const yuan = (fen: number) => fen / 100;

/** The report as a workbook for the weekly meeting: one sheet per section, money in yuan (two decimals). */
export async function writeProgressReportXlsx(report: HousingProgressReport, file: string): Promise<void> {
  const wb = new ExcelJS.Workbook();
  wb.created = new Date(report.generatedAt);
  const stages = wb.addWorksheet('房源进度 listings');
  stages.columns = [
    { header: '阶段 stage', key: 'stage', width: 24 },
    { header: '套数 listings', key: 'listings', width: 14 },
  ];
  stages.addRows(report.listingsByStage);
  const funds = wb.addWorksheet('资金 funds');
  funds.columns = [
    { header: '来源 source', key: 'source', width: 20 },
    { header: '到位 total (元)', key: 'total', width: 18, style: { numFmt: '#,##0.00' } },
    { header: '已预留 reserved (元)', key: 'reserved', width: 20, style: { numFmt: '#,##0.00' } },
    { header: '已支出 spent (元)', key: 'spent', width: 18, style: { numFmt: '#,##0.00' } },
    { header: '可用 free (元)', key: 'free', width: 18, style: { numFmt: '#,##0.00' } },
  ];
  funds.addRows(
    report.funds.map((f) => ({
      source: f.source === 'capital' ? '异地建设费 capital' : '银行贷款 loans',
      total: yuan(f.totalFen),
      reserved: yuan(f.reservedFen),
      spent: yuan(f.spentFen),
      free: yuan(f.freeFen),
    })),
  );
  const regions = wb.addWorksheet('区域 regions');
  regions.columns = [
    { header: '区域 region', key: 'name', width: 30 },
    { header: '需求 demand (套)', key: 'demandUnits', width: 16 },
    { header: '已纳入 committed (套)', key: 'committed', width: 20 },
    { header: '已交付 handed over (套)', key: 'handedOver', width: 22 },
    { header: '面积 area (m²)', key: 'area', width: 16, style: { numFmt: '#,##0.00' } },
    { header: '收购款 spent (元)', key: 'spent', width: 18, style: { numFmt: '#,##0.00' } },
  ];
  regions.addRows(report.regions.map((r) => ({ ...r, area: r.floorAreaDm2 / 100, spent: yuan(r.spentFen) })));
  for (const sheet of [stages, funds, regions]) sheet.getRow(1).font = { bold: true };
  await wb.xlsx.writeFile(file);
}
