// The part of bench:cycle that is not the system under test — writing the synthetic files and
// measuring the floor — run in a process of its own, so the cycle's peak RSS is the worker's, not
// the memory the generator and the floor's COPY left behind. Prints one JSON line: files and floor.
// Usage: tsx bench/prepare.ts <json options> (see PrepareOptions).
import path from 'node:path';
import { measureFloor } from './floor';
import { writeSyntheticSubsidyData } from './synthetic';

export interface PrepareOptions {
  dataDir: string;
  quarter: string;
  rows: number;
  databaseUrl: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as PrepareOptions;
const files = await writeSyntheticSubsidyData({
  dir: path.join(options.dataDir, 'input'),
  quarter: options.quarter,
  rows: options.rows,
  rosterSize: Math.max(1_000, Math.round(options.rows / 10)),
  seed: 7,
});
const floor = await measureFloor(options.databaseUrl, files, {
  report: path.join(options.dataDir, 'floor-report.csv'),
  payments: path.join(options.dataDir, 'floor-payments.csv'),
});
process.stdout.write(`${JSON.stringify({ files, floor })}\n`);
