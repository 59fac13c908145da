export { readCurrent, writeCurrent } from './current-file.js';
export { decodeVersionEdit } from './decode-version-edit.js';
export { encodeVersionEdit } from './encode-version-edit.js';
export { currentTempFileName, manifestFileName, parseManifestFileName } from './file-names.js';
export {
  CURRENT_FILE_NAME,
  EditTag,
  FORMAT_VERSION_CURRENT,
  FORMAT_VERSION_MIN,
  KEY_BYTES_MAX,
  LEVEL_COUNT,
  TEMP_FILE_SUFFIX,
} from './format.js';
export { Manifest, REUSE_BYTES_MAX, ROLLOVER_BYTES_DEFAULT } from './manifest.js';
export type { ManifestOptions, OpenedManifest } from './manifest.js';
export { readManifest, readManifestFile } from './read-manifest.js';
export type { ManifestReplay } from './read-manifest.js';
export { Version } from './version.js';
export type { DatabaseOptionsRecord, RemovedFile, TableFileMeta, VersionEdit } from './version-edit.js';
