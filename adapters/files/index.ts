export {
  fileKindOf,
  HEAD_BYTES,
  inspectHead,
  kindOfBytes,
  notUtf8,
  MalformedFileError,
  readRecords,
  readRecordsFromBuffer,
  SCHEMA_COLUMNS,
  type FileKind,
  type FileSchema,
  type NumberedRecord,
} from './records';
