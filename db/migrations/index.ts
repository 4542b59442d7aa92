import type { Migration } from 'kysely';
import * as eventStore from './0001_event_store';

/** Every migration, in order. Names are permanent: a shipped migration is never edited, only followed. */
export const migrations: Record<string, Migration> = {
  '0001_event_store': eventStore,
};
