// Pre-flight: the regular files the processes use (open fds, executable, mapped libraries, cwd,
// root) must exist with the size and mode CRIU recorded, or CRIU refuses the restore. CRIU records
// a size for regular files except those open O_WRONLY|O_APPEND, and a mode (type + permission bits,
// compared whole) for every file, and, for ELF files whose size still matches, their GNU build-id
// (CRIU's default file validation); files deleted at dump time come from the checkpoint itself.

import { statSync } from 'node:fs';
import { regularFiles, type CheckpointModel } from '../../images/index.js';
import { checkResult, type PreflightCheck, type PreflightItem } from '../preflight-types.js';
import { elfBuildId } from '../elf-build-id.js';

const octal = (mode: number): string => `0${mode.toString(8)}`;

/** Checks every file the checkpoint needs on disk; lists all missing or changed ones. */
export function checkFiles(model: CheckpointModel, buildIds: ReadonlyMap<number, Buffer> = new Map(), ignore: readonly string[] = []): PreflightCheck {
  const title = 'files the processes use';
  if (model.namespaces.captured.includes('mnt')) {
    return {
      id: 'files', status: 'warn', title, items: [],
      detail: 'the checkpoint carries its own mount namespace: its paths are not paths of this machine, not checked',
    };
  }
  const items: PreflightItem[] = [];
  const needed = regularFiles(model).filter((f) => !f.deleted && !ignore.includes(f.path));
  for (const f of needed) {
    const used = `used as ${f.uses.join(', ')} by pid ${f.pids.join(', ')}`;
    const st = statSync(f.path, { throwIfNoEntry: false });
    if (!st) {
      items.push({ status: 'fail', code: 'CRYO_FILE_MISSING', subject: f.path, problem: `is missing (${used})`, details: { uses: f.uses, pids: f.pids } });
      continue;
    }
    if (f.size !== undefined && st.isFile() && st.size !== f.size) {
      items.push({
        status: 'fail', code: 'CRYO_FILE_CHANGED', subject: f.path, problem: `changed size: ${st.size} bytes, expected ${f.size} (${used})`,
        expected: f.size, actual: st.size, details: { field: 'size', uses: f.uses, pids: f.pids },
      });
    }
    const recorded = buildIds.get(f.fileId);
    if (recorded && st.isFile() && (f.size === undefined || st.size === f.size)) {
      const now = elfBuildId(f.path);
      // CRIU compares the build-id it finds (padded to 4 bytes) with the recorded one.
      if (now && !recorded.subarray(0, now.length).equals(now)) {
        items.push({
          status: 'fail', code: 'CRYO_FILE_CHANGED', subject: f.path, problem: `was replaced by another build: ELF build-id ${now.toString('hex')}, expected ${recorded.subarray(0, now.length).toString('hex')} (${used})`,
          expected: recorded.subarray(0, now.length).toString('hex'), actual: now.toString('hex'), details: { field: 'build-id', uses: f.uses, pids: f.pids },
        });
      }
    }
    if (f.mode !== undefined && st.mode !== f.mode) {
      items.push({
        status: 'fail', code: 'CRYO_FILE_CHANGED', subject: f.path, problem: `changed mode: ${octal(st.mode)}, expected ${octal(f.mode)} (${used})`,
        expected: octal(f.mode), actual: octal(st.mode), details: { field: 'mode', uses: f.uses, pids: f.pids },
      });
    }
  }
  return checkResult('files', title, `${needed.length} files present with the recorded size and mode`, items,
    `${items.length} of the ${needed.length} files are missing or changed`);
}
