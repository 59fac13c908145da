/** Recording the background errors a database reports. */
import type { BackgroundErrorInfo, DB } from '../../src/index.js';

export interface RecordedBackgroundError {
  code: string | undefined;
  message: string;
  info: BackgroundErrorInfo;
}

/** The background errors a database reports through its 'error' event, from now on. */
export function recordErrors(db: DB): RecordedBackgroundError[] {
  const errors: RecordedBackgroundError[] = [];
  db.on('error', (error, info) => errors.push({ code: (error as { code?: string }).code, message: error.message, info }));
  return errors;
}
