export {
  fileKindOf,
  MalformedFileError,
  readRecords,
  readRecordsFromBuffer,
  SCHEMA_COLUMNS,
  type FileKind,
  type FileSchema,
  type NumberedRecord,
} from './records';
