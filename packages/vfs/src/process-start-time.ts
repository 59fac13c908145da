import { readFile } from 'node:fs/promises';

/** Field 22 of /proc/<pid>/stat (1-based), the start time in clock ticks since boot. */
const START_TIME_FIELD = 22;
/** The fields after the `(comm)` field start at field 3. */
const FIRST_FIELD_AFTER_COMM = 3;

/**
 * The start time of process `pid` as recorded by Linux, or undefined where /proc is missing or
 * unreadable. Together with the pid it tells a live lock holder from a later process that
 * happens to reuse the pid.
 */
export async function processStartTime(pid: number | 'self'): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStartTime(text);
}

/** Extracts field 22 from the text of /proc/<pid>/stat; undefined when it is malformed. */
export function parseStartTime(statText: string): string | undefined {
  // The command name (field 2) may contain spaces and parentheses, so split after the last ')'.
  const commEnd = statText.lastIndexOf(')');
  if (commEnd < 0) return undefined;
  const fields = statText.slice(commEnd + 1).trim().split(/\s+/);
  const value = fields[START_TIME_FIELD - FIRST_FIELD_AFTER_COMM];
  return value !== undefined && /^\d+$/.test(value) ? value : undefined;
}
