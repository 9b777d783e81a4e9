export { createProfileBuilder, type ProfileBuilder } from './builder.js';
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
export { type MergeProfilesOptions, mergeProfiles } from './merge.js';
export {
  type ColumnProfile,
  columnProfileSchema,
  isProfile,
  kllSketchSchema,
  migrateProfile,
  PROFILE_KIND,
  PROFILE_SCHEMA_VERSION,
  PROFILE_SCHEMA_VERSIONS,
  type Profile,
  parseProfile,
  profileSchema,
  profileSchemaV1,
} from './schema.js';
