/** Page files are named `NNNNNN.sst` in the database directory, as the engine names them. */
const FILE_NUMBER_DIGITS = 6;

export function tableFileName(fileNumber: number): string {
  return `${String(fileNumber).padStart(FILE_NUMBER_DIGITS, '0')}.sst`;
}

export function tableFilePath(dir: string, fileNumber: number): string {
  return `${dir}/${tableFileName(fileNumber)}`;
}
