export { readRecords, MalformedFileError, type FileSchema, type NumberedRecord } from './records';
