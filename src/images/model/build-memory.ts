// A process's memory from mm-<pid>.img and pagemap-<pid>.img: its mappings with permissions and
// backing files, and which pages the checkpoint holds (and where: pages-*.img, parent, lazy).
// pages-*.img itself is never read: page counts come from the pagemap, sizes from stat.

import { isFieldSet } from '@bufbuild/protobuf';
import type { mm_entry } from '../../gen/criu/images/mm_pb.js';
import { pagemap_entrySchema, type pagemap_entry, type pagemap_head } from '../../gen/criu/images/pagemap_pb.js';
import type { vma_entry } from '../../gen/criu/images/vma_pb.js';
import type { ImagesDir } from '../images-dir.js';
import type { FileResolver } from './build-files.js';
import type { Mapping, MemoryInfo, PageRange } from './types.js';

/** x86-64 base page size; CRIU's pagemap counts pages of this size. */
export const PAGE_SIZE = 4096;

// vma_entry.status bits (CRIU's VMA_AREA_* / VMA_FILE_* flags).
const VMA = {
  STACK: 1 << 1, VSYSCALL: 1 << 2, VDSO: 1 << 3, HEAP: 1 << 5, FILE_PRIVATE: 1 << 6, FILE_SHARED: 1 << 7,
  ANON_SHARED: 1 << 8, SYSVIPC: 1 << 10, SOCKET: 1 << 11, VVAR: 1 << 12, AIORING: 1 << 13, MEMFD: 1 << 14,
  SHSTK: 1 << 15, UPROBES: 1 << 17,
} as const;
// pagemap_entry.flags bits.
const PE_PARENT = 1;
const PE_LAZY = 2;
const PE_PRESENT = 4;
const MAP_SHARED = 1;

const hex = (v: bigint): string => `0x${v.toString(16)}`;

function vmaKind(status: number): string {
  if (status & VMA.VSYSCALL) return 'vsyscall';
  if (status & VMA.VDSO) return 'vdso';
  if (status & VMA.VVAR) return 'vvar';
  if (status & VMA.HEAP) return 'heap';
  if (status & VMA.STACK) return 'stack';
  if (status & VMA.SHSTK) return 'shadow-stack';
  if (status & VMA.UPROBES) return 'uprobes';
  if (status & VMA.AIORING) return 'aio';
  if (status & VMA.SYSVIPC) return 'sysvipc';
  if (status & VMA.SOCKET) return 'socket';
  if (status & VMA.MEMFD) return 'memfd';
  if (status & (VMA.FILE_PRIVATE | VMA.FILE_SHARED)) return 'file';
  if (status & VMA.ANON_SHARED) return 'shmem';
  return 'anon';
}

function perms(v: vma_entry): string {
  return (v.prot & 1 ? 'r' : '-') + (v.prot & 2 ? 'w' : '-') + (v.prot & 4 ? 'x' : '-') + (v.flags & MAP_SHARED ? 's' : 'p');
}

/** Where a pagemap entry's pages are: new images use flags, old ones only `in_parent`. */
function whereOf(e: pagemap_entry): PageRange['where'] {
  if (!isFieldSet(e, pagemap_entrySchema.field.flags)) return e.inParent ? 'parent' : 'image';
  if (e.flags & PE_PRESENT) return 'image';
  if (e.flags & PE_LAZY) return 'lazy';
  if (e.flags & PE_PARENT) return 'parent';
  return 'none';
}

/** Page count of a pagemap entry: nr_pages when present (64-bit), else the older 32-bit field. */
export function pagesOf(e: pagemap_entry): number {
  return isFieldSet(e, pagemap_entrySchema.field.nrPages) ? Number(e.nrPages) : e.compatNrPages;
}

/** Builds the memory view of task `pid`; undefined if it has no mm image (e.g. a zombie). */
export function buildMemory(images: ImagesDir, pid: number, files: FileResolver): MemoryInfo | undefined {
  const mm = images.first<mm_entry>(`mm-${pid}.img`, 'MM');
  if (mm === undefined) return undefined;
  const pagemap = images.entries(`pagemap-${pid}.img`, 'PAGEMAP');
  const head = pagemap[0]?.message as pagemap_head | undefined;
  const ranges: PageRange[] = [];
  const spans: { start: bigint; end: bigint }[] = [];
  let inImage = 0;
  let resident = 0;
  for (const { message } of pagemap.slice(1)) {
    const e = message as pagemap_entry;
    const pages = pagesOf(e);
    const where = whereOf(e);
    ranges.push({ start: hex(e.vaddr), pages, where, ...(where === 'image' ? { imageOffset: inImage * PAGE_SIZE } : {}) });
    if (where === 'image') inImage += pages;
    if (where !== 'none') {
      resident += pages;
      spans.push({ start: e.vaddr, end: e.vaddr + BigInt(pages) * BigInt(PAGE_SIZE) });
    }
  }
  spans.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const vmas = [...mm.vmas].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));

  // Resident pages per mapping: both lists are sorted, so one merge pass counts the overlaps.
  const mappings: Mapping[] = [];
  let j = 0;
  for (const v of vmas) {
    while (j < spans.length && spans[j]!.end <= v.start) j++;
    let overlap = 0n;
    for (let k = j; k < spans.length && spans[k]!.start < v.end; k++) {
      const s = spans[k]!;
      const lo = s.start > v.start ? s.start : v.start;
      const hi = s.end < v.end ? s.end : v.end;
      if (hi > lo) overlap += hi - lo;
    }
    const kind = vmaKind(v.status);
    const file = kind === 'file' || kind === 'memfd' ? files.get(Number(v.shmid)).description : undefined;
    mappings.push({
      start: hex(v.start), end: hex(v.end), bytes: Number(v.end - v.start), perms: perms(v), kind,
      ...(file === undefined ? {} : { file, offset: Number(v.pgoff) }),
      residentPages: Number(overlap / BigInt(PAGE_SIZE)),
    });
  }

  const layout: Record<string, string> = {
    startCode: hex(mm.mmStartCode), endCode: hex(mm.mmEndCode), startData: hex(mm.mmStartData),
    endData: hex(mm.mmEndData), startStack: hex(mm.mmStartStack), startBrk: hex(mm.mmStartBrk), brk: hex(mm.mmBrk),
    argStart: hex(mm.mmArgStart), argEnd: hex(mm.mmArgEnd), envStart: hex(mm.mmEnvStart), envEnd: hex(mm.mmEnvEnd),
  };
  const exe = mm.exeFileId !== 0 ? files.path(mm.exeFileId) : undefined;
  const pagesImage = head !== undefined ? `pages-${head.pagesId}.img` : undefined;
  return {
    ...(exe === undefined ? {} : { exe }),
    mappings,
    residentPages: resident,
    residentBytes: resident * PAGE_SIZE,
    pagesInImage: inImage,
    ...(pagesImage === undefined ? {} : { pagesImage }),
    pageRanges: ranges,
    layout,
  };
}
