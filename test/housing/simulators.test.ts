import { appendFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulatedHousingAdapters } from '../../housing/activities';

// The appraisal, registry and lending simulators keep their state in journals under a directory
// (DATA_DIR/housing-simulators in the stack): a worker restart forgets no registration nor loan.
const request = {
  applicationId: 'REG-HL-1',
  listingId: 'HL-1',
  contractId: 'HC-HL-1',
  priceFen: 50_000_000,
  deedTaxFen: 1_500_000,
};

describe('housing simulators across a restart', () => {
  it('remember registrations, revocations, loans, draws and appraisals', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'housing-sims-'));
    const first = simulatedHousingAdapters({ stateDir, registry: { delayMs: 0 }, lending: { delayMs: 0 } });
    await first.registry.submit(request);
    await first.registry.submit({ ...request, applicationId: 'REG-HL-2', listingId: 'HL-2' });
    const registered = await first.registry.status('REG-HL-1');
    expect(registered).toMatchObject({ status: 'registered' });
    await first.registry.revoke('REG-HL-2', '合同解除');
    await first.lending.apply({
      applicationId: 'LOAN-HL-1',
      listingId: 'HL-1',
      contractId: 'HC-HL-1',
      amountFen: 35_000_000,
    });
    const certificateNo = (registered as { certificateNo: string }).certificateNo;
    const drawn = await first.lending.draw('LOAN-HL-1', certificateNo);
    const appraisal = await first.appraisal.appraise({
      requestId: 'HL-1',
      listingId: 'HL-1',
      kind: 'second_hand',
      region: 'yiquan_liangu',
      floorAreaDm2: 8950,
      askingFen: 50_000_000,
    });

    // A crash mid-write leaves a torn last line: it is skipped.
    appendFileSync(path.join(stateDir, 'registry.jsonl'), '{"k":"REG-HL-9","v":{"requ');
    const second = simulatedHousingAdapters({ stateDir, registry: { delayMs: 0 }, lending: { delayMs: 0 } });
    expect(await second.registry.status('REG-HL-1')).toEqual(registered);
    expect(await second.registry.isRegistered(certificateNo)).toBe(true);
    expect(await second.registry.status('REG-HL-2')).toMatchObject({ status: 'revoked', reason: '合同解除' });
    expect(await second.registry.status('REG-HL-9')).toBeUndefined();
    expect(await second.lending.status('LOAN-HL-1')).toMatchObject({ status: 'drawn', loanId: drawn.loanId });
    expect(await second.lending.draw('LOAN-HL-1', certificateNo)).toEqual(drawn);
    const again = await second.appraisal.appraise({
      requestId: 'HL-1',
      listingId: 'HL-1',
      kind: 'second_hand',
      region: 'yiquan_liangu',
      floorAreaDm2: 8950,
      askingFen: 50_000_000,
    });
    expect(again).toEqual(appraisal);
  });

  it('keep memory-only state without a directory', async () => {
    const sims = simulatedHousingAdapters({ registry: { delayMs: 0 } });
    await sims.registry.submit(request);
    expect(await simulatedHousingAdapters().registry.status('REG-HL-1')).toBeUndefined();
  });
});
