import { readRecords } from '../../adapters/files';
import { validateRosterRow } from '../../domain/subsidy';
import { streams, type RosterFacts } from '../../projections/subsidy/events';
import { activityMetadata, subsidyEvent, type SubsidyDeps } from './context';
import { storeUpload } from './uploads';

export interface RosterImport {
  version: number;
  fileHash: string;
  entries: number;
  changed: number;
  quarantined: { line: number; reason: string; detail: string }[];
  /** False when this very file was already loaded (nothing changed). */
  loaded: boolean;
}

const ENTRIES_PER_EVENT = 1_000;

function sameFacts(a: RosterFacts, b: RosterFacts): boolean {
  return (
    a.jurisdiction === b.jurisdiction &&
    a.category === b.category &&
    a.gender === b.gender &&
    a.birthDate === b.birthDate &&
    a.femaleBirthDate === b.femaleBirthDate &&
    a.enrolledOn === b.enrolledOn &&
    a.exitedOn === b.exitedOn
  );
}

/**
 * Loads the county-confirmed roster (扶助对象名单, 第二条/第六条/第十一条) as a new roster version.
 * Personal data goes to the vault; the roster's facts (category, dates, jurisdiction) become events
 * under the person reference. Only entries that changed are recorded; a person missing from the
 * file stays as they were — an exit is explicit, with its date (第十一条). The same file twice is one version.
 */
export async function importRoster(deps: SubsidyDeps, source: string, actor: string): Promise<RosterImport> {
  const upload = await storeUpload(deps.uploadsDir, source);
  const known = await deps.db.selectFrom('roster_versions').selectAll().where('file_hash', '=', upload.hash).executeTakeFirst();
  if (known) {
    return { version: known.version, fileHash: upload.hash, entries: known.entries, changed: known.changed, quarantined: [], loaded: false };
  }

  const facts = new Map<string, RosterFacts>();
  const quarantined: RosterImport['quarantined'] = [];
  let secrets: { personRef: string; secrets: { idNumber: string; name: string; bankCode: string; accountNo: string } }[] = [];
  for await (const { line, record } of readRecords(upload.file, upload.kind, 'roster')) {
    const checked = validateRosterRow(record);
    if (!checked.ok) {
      quarantined.push({ line, reason: checked.reason, detail: checked.detail });
      continue;
    }
    const row = checked.row;
    const personRef = deps.vault.personRef(row.idNumber);
    if (facts.has(personRef)) {
      quarantined.push({ line, reason: 'duplicate_person', detail: 'id_number already appears on an earlier line of this roster' });
      continue;
    }
    facts.set(personRef, {
      personRef,
      jurisdiction: row.jurisdiction,
      category: row.category,
      gender: row.gender,
      birthDate: row.birthDate,
      femaleBirthDate: row.femaleBirthDate,
      enrolledOn: row.enrolledOn,
      exitedOn: row.exitedOn,
    });
    secrets.push({ personRef, secrets: { idNumber: row.idNumber, name: row.name, bankCode: row.bankCode, accountNo: row.accountNo } });
    if (secrets.length >= 5_000) {
      await deps.vault.putMany(secrets);
      secrets = [];
    }
  }
  await deps.vault.putMany(secrets);

  const current = await deps.db
    .selectFrom('roster_entries')
    .selectAll()
    .where('valid_to_version', 'is', null)
    .execute();
  const before = new Map(
    current.map((r) => [
      r.person_ref,
      {
        personRef: r.person_ref,
        jurisdiction: r.jurisdiction,
        category: r.category,
        gender: r.gender,
        birthDate: r.birth_date,
        femaleBirthDate: r.female_birth_date,
        enrolledOn: r.enrolled_on,
        exitedOn: r.exited_on,
      } satisfies RosterFacts,
    ]),
  );
  const changed = [...facts.values()].filter((f) => {
    const old = before.get(f.personRef);
    return !old || !sameFacts(old, f);
  });

  const streamVersion = await deps.store.version(streams.roster);
  const latest = await deps.db.selectFrom('roster_versions').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
  const version = Number(latest?.v ?? 0) + 1;
  const events = [
    subsidyEvent(
      'RosterVersionLoaded',
      { version, fileHash: upload.hash, entries: facts.size, changed: changed.length, quarantined: quarantined.length, loadedAt: new Date().toISOString() },
      'roster',
      upload.hash,
    ),
  ];
  for (let i = 0; i < changed.length; i += ENTRIES_PER_EVENT) {
    events.push(subsidyEvent('RosterEntriesRecorded', { version, entries: changed.slice(i, i + ENTRIES_PER_EVENT) }, 'roster', upload.hash, i));
  }
  // Expected version: two imports racing cannot both become version N.
  const appended = await deps.store.append(streams.roster, events, { expectedVersion: streamVersion, metadata: { ...activityMetadata(actor) } });
  if (!appended.appended) {
    // Another command loaded the same file meanwhile (the append is idempotent by event id): report
    // the version it recorded, not the one computed here, which does not exist.
    const stored = await deps.db.selectFrom('roster_versions').selectAll().where('file_hash', '=', upload.hash).executeTakeFirstOrThrow();
    return { version: stored.version, fileHash: upload.hash, entries: stored.entries, changed: stored.changed, quarantined, loaded: false };
  }
  return { version, fileHash: upload.hash, entries: facts.size, changed: changed.length, quarantined, loaded: true };
}
