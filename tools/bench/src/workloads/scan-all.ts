/**
 * readseq and readreverse: one iterator over the whole data set (up to the phase's operation
 * count). Timing every entry would cost more than a fast engine's step, so one latency sample
 * covers a chunk of entries and the time cap is checked once per chunk.
 */
import { LatencyHistogram } from '../latency-histogram.js';
import { measurePhase } from '../measured-phase.js';
import { reportProgress } from '../progress-channel.js';
import type { WorkloadContext } from '../workload-context.js';
import type { WorkloadResult } from '../workload-result.js';

const CHUNK_ENTRIES = 1000;

export async function scanAll(context: WorkloadContext, workload: string, reverse: boolean): Promise<WorkloadResult> {
  const { settings, loadedCount } = context.job;
  const limit = Math.min(settings.opsPerPhase, loadedCount);
  return measurePhase(context, {
    workload, open: {}, needsData: true, latencyUnit: `chunk of ${CHUNK_ENTRIES} entries`,
    run: async (engine) => {
      const histogram = new LatencyHistogram();
      const start = process.hrtime.bigint();
      const deadline = start + BigInt(Math.round(settings.phaseSeconds * 1e9));
      let chunkStart = start;
      let visited = 0;
      const entries = await engine.scan({ reverse, limit }, () => {
        visited++;
        if (visited % CHUNK_ENTRIES !== 0) return true;
        chunkStart = histogram.recordSince(chunkStart);
        reportProgress(visited, limit);
        return chunkStart < deadline;
      });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      return { outcome: { ops: entries, seconds, capped: entries < limit, histogram }, userBytesWritten: 0 };
    },
  });
}
