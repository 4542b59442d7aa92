import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MalformedFileError, readRecords } from '../../adapters/files';
import { checkIdNumber, validateRosterRow, validateStayRow } from '../../domain/subsidy';
import { idFor } from './fixtures';

const id = idFor('1950-03-10');
const good = { record_id: '1', id_number: id, name: '王', hospital: 'h', admission_date: '2025-07-01', discharge_date: '2025-07-05', exclusion: '' };
const today = { today: '2025-10-08' };

describe('GB 11643 resident ID numbers', () => {
  it('accepts a valid number (lower-case x too) and reads birth date and sex', () => {
    expect(checkIdNumber(id)).toMatchObject({ ok: true, birthDate: '1950-03-10', gender: 'M' });
    expect(checkIdNumber('11010519491231002X')).toMatchObject({ ok: true, idNumber: '11010519491231002X' });
    expect(checkIdNumber('11010519491231002x')).toMatchObject({ ok: true, idNumber: '11010519491231002X' });
  });
  it.each([
    ['a wrong check character', `${id.slice(0, 17)}${id[17] === '1' ? '2' : '1'}`, 'bad_id_checksum'],
    ['17 characters', id.slice(0, 17), 'bad_id_format'],
    ['an impossible birth date', idFor('1950-02-30'.replace('02-30', '02-28')).replace('19500228', '19500230'), 'bad_id_format'],
    ['an unknown province', `99${id.slice(2)}`, 'bad_id_format'],
  ])('refuses %s', (_name, value, reason) => {
    expect(checkIdNumber(value)).toMatchObject({ ok: false, reason });
  });
});

describe('extract rows: every bad row gets a specific reason', () => {
  it.each([
    ['missing_field', { ...good, record_id: '' }],
    ['bad_id_checksum', { ...good, id_number: `${id.slice(0, 17)}${id[17] === '1' ? '2' : '1'}` }],
    ['impossible_date', { ...good, admission_date: '2025-02-30' }],
    ['impossible_date', { ...good, discharge_date: '2025/07/05' }],
    ['discharge_before_admission', { ...good, discharge_date: '2025-06-30' }],
    ['future_date', { ...good, discharge_date: '2025-10-09' }],
    ['unknown_exclusion', { ...good, exclusion: 'bad_luck' }],
  ])('%s', (reason, raw) => {
    const checked = validateStayRow(raw, today);
    expect(checked).toMatchObject({ ok: false, reason });
    if (!checked.ok) expect(checked.detail).toMatch(/^\w+:/);
  });
  it('a good row passes', () => {
    expect(validateStayRow(good, today)).toMatchObject({ ok: true, row: { recordId: '1', exclusion: null } });
  });
});

describe('roster rows', () => {
  const roster = { id_number: id, name: '王', gender: 'M', birth_date: '1950-03-10', female_birth_date: '1952-01-01', jurisdiction: '411002', category: 'bereaved', bank_code: 'ICBC', account_no: '62220202', enrolled_on: '2020-01-01', exited_on: '' };
  it.each([
    ['unknown_jurisdiction', { ...roster, jurisdiction: '999999' }],
    ['unknown_category', { ...roster, category: 'other' }],
    ['id_birth_mismatch', { ...roster, birth_date: '1950-03-11' }],
    ['missing_field', { ...roster, female_birth_date: '' }],
    ['exit_before_enrolment', { ...roster, exited_on: '2019-01-01' }],
    ['invalid_gender', { ...roster, gender: 'X' }],
  ])('%s', (reason, raw) => expect(validateRosterRow(raw)).toMatchObject({ ok: false, reason }));
  it('accepts a management zone and drops a female partner date where it does not apply', () => {
    expect(validateRosterRow({ ...roster, jurisdiction: 'X41103', category: 'one_child_parent' })).toMatchObject({ ok: true, row: { femaleBirthDate: null } });
  });
});

describe('files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'files-'));
  const header = 'record_id,id_number,name,hospital,admission_date,discharge_date,exclusion\n';
  const read = async (name: string, content: Buffer | string) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    const rows = [];
    for await (const r of readRecords(file, 'csv', 'hospitalizations')) rows.push(r);
    return rows;
  };
  it('reads UTF-8 with a BOM and numbers lines from the header', async () => {
    const rows = await read('bom.csv', `\uFEFF${header}1,${id},王,"许昌市中心医院, 东院",2025-07-01,2025-07-02,\n2,${id},李,h,2025-07-03,2025-07-04,\n`);
    expect(rows.map((r) => r.line)).toEqual([2, 3]);
    expect(rows[0]!.record.hospital).toBe('许昌市中心医院, 东院');
  });
  it.each([
    ['a missing column', 'record_id,id_number\n1,2\n', /line 1: missing column name/],
    ['a wrong column count', `${header}1,2,3\n`, /line 2: .*3 fields/],
  ])('rejects %s whole, naming line and column', async (_name, content, message) => {
    await expect(read('bad.csv', content)).rejects.toThrow(message);
    await expect(read('bad.csv', content)).rejects.toBeInstanceOf(MalformedFileError);
  });
  it('rejects a file that is not UTF-8 (GBK), naming the line', async () => {
    const gbk = Buffer.concat([Buffer.from(`${header}1,${id},`), Buffer.from([0xcd, 0xf5]), Buffer.from(',h,2025-07-01,2025-07-02,\n')]);
    await expect(read('gbk.csv', gbk)).rejects.toThrow(/line 2: not valid UTF-8/);
  });
});
