// Dump and restore statistics (stats-dump, stats-restore): times in microseconds, page counts.

import type { stats_entry } from '../../gen/criu/images/stats_pb.js';
import type { ImagesDir } from '../images-dir.js';
import type { StatsInfo } from './types.js';

const n = (v: bigint | number): number => Number(v);

/** Reads whichever stats images exist. */
export function buildStats(images: ImagesDir): StatsInfo {
  const dump = images.first<stats_entry>('stats-dump', 'STATS')?.dump;
  const restore = images.first<stats_entry>('stats-restore', 'STATS')?.restore;
  return {
    ...(dump ? { dump: {
      freezingTimeUs: dump.freezingTime, frozenTimeUs: dump.frozenTime, memdumpTimeUs: dump.memdumpTime,
      memwriteTimeUs: dump.memwriteTime, pagesScanned: n(dump.pagesScanned),
      pagesSkippedParent: n(dump.pagesSkippedParent), pagesWritten: n(dump.pagesWritten), pagesLazy: n(dump.pagesLazy),
      pagePipes: n(dump.pagePipes), pagePipeBufs: n(dump.pagePipeBufs), irmapResolve: dump.irmapResolve,
      shpagesScanned: n(dump.shpagesScanned), shpagesSkippedParent: n(dump.shpagesSkippedParent),
      shpagesWritten: n(dump.shpagesWritten),
    } } : {}),
    ...(restore ? { restore: {
      pagesCompared: n(restore.pagesCompared), pagesSkippedCow: n(restore.pagesSkippedCow),
      forkingTimeUs: restore.forkingTime, restoreTimeUs: restore.restoreTime, pagesRestored: n(restore.pagesRestored),
    } } : {}),
  };
}
