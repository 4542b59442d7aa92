import type { NewEvent } from '../../platform/eventstore';
import { readRecordBatches } from '../adapters/files';
import { storeUpload } from '../adapters/uploads';
import { activityMetadata, type SubsidyDeps, subsidyEvent } from '../context';
import { type RosterFacts, streams } from '../contracts/events';
import { validateRosterRow } from '../rules';

export type RosterKind = { kind: 'update' } | { kind: 'annual'; year: number };

export interface RosterImport {
  kind: 'update' | 'annual';
  version: number;
  fileHash: string;
  entries: number;
  changed: number;
  quarantined: { line: number; reason: string; detail: string }[];
  /** One person on two lines with different content: neither line taken (reason roster_conflict). */
  conflicts: { personRef: string; lines: number[]; jurisdictions: string[] }[];
  /** Annual roster: people of its jurisdictions missing from it, exiting on 1 January (not_in_annual_roster). */
  annualExits: { personRef: string; jurisdiction: string; exitedOn: string }[];
  /** False when this very file was already loaded (nothing changed). */
  loaded: boolean;
}

const ENTRIES_PER_EVENT = 1_000;
/** Events per append inside the version's transaction. */
const EVENTS_PER_APPEND = 50;

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

type Secrets = { idNumber: string; name: string; bankCode: string; accountNo: string };
// A person's secrets held as one string until they go to the vault: a roster of 500,000 persons
// holds 500,000 of them, and one string is a third of the memory of an object of four.
const packSecrets = (s: Secrets) => JSON.stringify([s.idNumber, s.name, s.bankCode, s.accountNo]);
function unpackSecrets(packed: string): Secrets {
  const [idNumber, name, bankCode, accountNo] = JSON.parse(packed) as string[];
  return { idNumber: idNumber!, name: name!, bankCode: bankCode!, accountNo: accountNo! };
}

/**
 * Loads the county-confirmed roster (扶助对象名单, 第二条/第六条/第十一条) as a new roster version.
 * Personal data goes to the vault; the roster's facts (category, dates, jurisdiction) become events
 * under the person reference. Only entries that changed are recorded. An *update* leaves a person
 * missing from the file as they were (an exit is explicit, with its date); an *annual* roster of a
 * year is authoritative for every jurisdiction in it (第六条): an enrolled person of such a
 * jurisdiction who is missing from it exits on 1 January of that year (not_in_annual_roster).
 * One person on two lines with different content is a conflict: neither line is taken. An identical
 * repeat is one line. The same file twice is one version.
 */
export async function importRoster(
  deps: SubsidyDeps,
  source: string,
  actor: string,
  kind: RosterKind = { kind: 'update' },
): Promise<RosterImport> {
  const upload = await storeUpload(deps, source);
  const known = await deps.db
    .selectFrom('roster_versions')
    .selectAll()
    .where('file_hash', '=', upload.hash)
    .executeTakeFirst();
  if (known) {
    return {
      kind: kind.kind,
      version: known.version,
      fileHash: upload.hash,
      entries: known.entries,
      changed: known.changed,
      quarantined: [],
      conflicts: [],
      annualExits: [],
      loaded: false,
    };
  }

  const facts = new Map<string, RosterFacts>();
  const secretsOf = new Map<string, string>();
  const firstLine = new Map<string, number>();
  // personRef → the lines and jurisdictions of a person on two lines with different content
  const conflicted = new Map<string, { lines: number[]; jurisdictions: Set<string> }>();
  const jurisdictions = new Set<string>();
  const quarantined: RosterImport['quarantined'] = [];
  for await (const records of readRecordBatches(source, upload.kind, 'roster'))
    for (const { line, record } of records) {
      const checked = validateRosterRow(record);
      if (!checked.ok) {
        quarantined.push({ line, reason: checked.reason, detail: checked.detail });
        continue;
      }
      const row = checked.row;
      jurisdictions.add(row.jurisdiction);
      const personRef = deps.vault.personRef(row.idNumber);
      const entry: RosterFacts = {
        personRef,
        jurisdiction: row.jurisdiction,
        category: row.category,
        gender: row.gender,
        birthDate: row.birthDate,
        femaleBirthDate: row.femaleBirthDate,
        enrolledOn: row.enrolledOn,
        exitedOn: row.exitedOn,
      };
      const secrets = packSecrets(row);
      const first = facts.get(personRef);
      const conflict = conflicted.get(personRef);
      if (conflict) {
        conflict.lines.push(line);
        conflict.jurisdictions.add(row.jurisdiction);
        continue;
      }
      if (first) {
        const same = sameFacts(first, entry) && secretsOf.get(personRef) === secrets;
        if (same) continue; // an identical repeat is one line
        conflicted.set(personRef, {
          lines: [firstLine.get(personRef)!, line],
          jurisdictions: new Set([first.jurisdiction, row.jurisdiction]),
        });
        facts.delete(personRef);
        secretsOf.delete(personRef);
        continue;
      }
      facts.set(personRef, entry);
      secretsOf.set(personRef, secrets);
      firstLine.set(personRef, line);
    }
  // The vault is written while the version's events are appended (two connections, one result).
  const secretsStored = (async () => {
    let batch: { personRef: string; secrets: Secrets }[] = [];
    for (const [personRef, secrets] of secretsOf) {
      batch.push({ personRef, secrets: unpackSecrets(secrets) });
      if (batch.length === 5_000) {
        await deps.vault.putMany(batch);
        batch = [];
      }
    }
    await deps.vault.putMany(batch);
  })();
  const conflicts = [...conflicted].map(([personRef, conflict]) => ({
    personRef,
    lines: conflict.lines,
    jurisdictions: [...conflict.jurisdictions].sort(),
  }));
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
  // A person whose earlier conflict this file resolves is recorded again, so the conflict closes.
  const openConflicts = new Set(
    (
      await deps.db.selectFrom('roster_conflicts').select('person_ref').where('resolved_version', 'is', null).execute()
    ).map((r) => r.person_ref),
  );
  const changed = [...facts.values()].filter((f) => {
    const old = before.get(f.personRef);
    return !old || !sameFacts(old, f) || openConflicts.has(f.personRef);
  });
  const annualExits: RosterImport['annualExits'] = [];
  if (kind.kind === 'annual') {
    const newYear = `${kind.year}-01-01`;
    for (const old of before.values()) {
      // Enrolled on 1 January, of a jurisdiction in this roster, and missing from it (conflicts are not missing: they are in it, undecided).
      if (!jurisdictions.has(old.jurisdiction) || facts.has(old.personRef) || conflicted.has(old.personRef)) continue;
      if (old.enrolledOn > newYear || (old.exitedOn !== null && old.exitedOn <= newYear)) continue;
      changed.push({ ...old, exitedOn: newYear });
      annualExits.push({ personRef: old.personRef, jurisdiction: old.jurisdiction, exitedOn: newYear });
    }
  }

  const streamVersion = await deps.store.version(streams.roster);
  const latest = await deps.db
    .selectFrom('roster_versions')
    .select((eb) => eb.fn.max('version').as('v'))
    .executeTakeFirst();
  const version = Number(latest?.v ?? 0) + 1;
  const loadedEvent = subsidyEvent(
    'RosterVersionLoaded',
    {
      version,
      fileHash: upload.hash,
      entries: facts.size,
      changed: changed.length,
      quarantined: quarantined.length,
      loadedAt: new Date().toISOString(),
      kind: kind.kind,
      ...(kind.kind === 'annual' ? { year: kind.year } : {}),
    },
    'roster',
    upload.hash,
  );
  // Each event is built when its slice is appended: a roster of 500,000 persons is 500 events, and
  // only one slice of them is in memory at a time.
  function* rosterEvents(): Generator<NewEvent> {
    yield loadedEvent;
    for (let i = 0; i < changed.length; i += ENTRIES_PER_EVENT)
      yield subsidyEvent(
        'RosterEntriesRecorded',
        { version, entries: changed.slice(i, i + ENTRIES_PER_EVENT) },
        'roster',
        upload.hash,
        i,
      );
    for (let i = 0; i < annualExits.length; i += ENTRIES_PER_EVENT)
      yield subsidyEvent(
        'AnnualRosterExitsRecorded',
        {
          version,
          year: kind.kind === 'annual' ? kind.year : 0,
          jurisdictions: [...jurisdictions].sort(),
          exits: annualExits
            .slice(i, i + ENTRIES_PER_EVENT)
            .map((e) => ({ ...e, reason: 'not_in_annual_roster' as const })),
        },
        'roster-exits',
        upload.hash,
        i,
      );
    for (let i = 0; i < conflicts.length; i += ENTRIES_PER_EVENT)
      yield subsidyEvent(
        'RosterConflictsRecorded',
        { version, conflicts: conflicts.slice(i, i + ENTRIES_PER_EVENT) },
        'roster-conflicts',
        upload.hash,
        i,
      );
  }
  // One transaction for the whole version (a cycle never sees half a roster), appended slice by
  // slice; each slice's expected version is the last one's, so two imports racing cannot both
  // become version N.
  const appendVersion = deps.db.transaction().execute(async (trx) => {
    let expectedVersion = streamVersion;
    let slice: NewEvent[] = [];
    const appendSlice = async () => {
      const result = await deps.store.appendWithin(trx, streams.roster, slice, {
        expectedVersion,
        metadata: { ...activityMetadata(actor) },
      });
      expectedVersion = result.version;
      slice = [];
      return result.appended;
    };
    for (const event of rosterEvents()) {
      slice.push(event);
      // The first slice is the version event alone: if it is stored, this file was loaded meanwhile.
      if ((event === loadedEvent || slice.length === EVENTS_PER_APPEND) && !(await appendSlice()))
        return { appended: false };
    }
    if (slice.length > 0) await appendSlice();
    return { appended: true };
  });
  const [, appended] = await Promise.all([secretsStored, appendVersion]);
  if (!appended.appended) {
    // Another command loaded the same file meanwhile (the append is idempotent by event id): report
    // the version it recorded, not the one computed here, which does not exist.
    const stored = await deps.db
      .selectFrom('roster_versions')
      .selectAll()
      .where('file_hash', '=', upload.hash)
      .executeTakeFirstOrThrow();
    return {
      kind: kind.kind,
      version: stored.version,
      fileHash: upload.hash,
      entries: stored.entries,
      changed: stored.changed,
      quarantined,
      conflicts,
      annualExits,
      loaded: false,
    };
  }
  return {
    kind: kind.kind,
    version,
    fileHash: upload.hash,
    entries: facts.size,
    changed: changed.length,
    quarantined,
    conflicts,
    annualExits,
    loaded: true,
  };
}
