/**
 * The one-line progress display: which engine and job runs, how far it is and how long the run
 * has taken. On a terminal it rewrites one line; otherwise (CI logs) it prints a line per job.
 */
export class ProgressLine {
  private readonly interactive: boolean;
  private readonly startMs = Date.now();
  private label = '';
  private jobStartMs = Date.now();
  private jobsDone = 0;
  private readonly jobsTotal: number;
  private readonly stream: NodeJS.WriteStream;

  constructor(jobsTotal: number, stream: NodeJS.WriteStream = process.stderr) {
    this.jobsTotal = jobsTotal;
    this.interactive = stream.isTTY;
    this.stream = stream;
  }

  begin(label: string): void {
    this.label = label;
    this.jobStartMs = Date.now();
    this.draw('');
  }

  update(ops: number, total: number): void {
    if (!this.interactive) return;
    const percent = total > 0 ? Math.min(100, Math.floor((ops / total) * 100)) : 0;
    this.draw(`${ops.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${percent}%)`);
  }

  end(summary: string): void {
    const seconds = ((Date.now() - this.jobStartMs) / 1000).toFixed(1);
    const line = `${this.prefix()} ${this.label}: ${summary} (${seconds} s)`;
    this.jobsDone++;
    this.stream.write(this.interactive ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  /** A line that stays (a note or a warning), printed above the progress line. */
  note(text: string): void {
    this.stream.write(this.interactive ? `\r\x1b[2K${text}\n` : `${text}\n`);
  }

  private draw(detail: string): void {
    if (!this.interactive) return;
    this.stream.write(`\r\x1b[2K${this.prefix()} ${this.label} ${detail}`);
  }

  private prefix(): string {
    const elapsed = Math.round((Date.now() - this.startMs) / 1000);
    return `[${this.jobsDone + 1}/${this.jobsTotal} ${Math.floor(elapsed / 60)}m${String(elapsed % 60).padStart(2, '0')}s]`;
  }
}
