// Regenerates the bundled sample data in samples/ (fixed seed): `npx tsx bench/make-samples.ts`.
import path from 'node:path';
import { repoRoot } from '../platform/config';
import { writeSyntheticSubsidyData } from './synthetic';

const files = await writeSyntheticSubsidyData({
  dir: path.join(repoRoot, 'samples'),
  quarter: '2025Q3',
  rows: 3_000,
  rosterSize: 800,
  seed: 20250618,
});
console.log(files);
