export {
  type FileKind,
  type FileSchema,
  fileKindOf,
  HEAD_BYTES,
  inspectHead,
  kindOfBytes,
  MalformedFileError,
  type NumberedRecord,
  notUtf8,
  readRecords,
  readRecordsFromBuffer,
  SCHEMA_COLUMNS,
} from './records';
