export { createProfile, type ProfileOptions } from './create-profile.js';
export {
  COLUMN_TYPES,
  type ColumnarData,
  type ColumnMapping,
  type ColumnRole,
  type ColumnType,
  type DataInput,
  inferColumnType,
  type RecordsData,
} from './input.js';
export {
  type ColumnProfile,
  columnProfileSchema,
  isProfile,
  PROFILE_KIND,
  PROFILE_SCHEMA_VERSION,
  type Profile,
  parseProfile,
  profileSchema,
} from './schema.js';
