// The GNU build-id of an ELF file (the NT_GNU_BUILD_ID note), which CRIU records for executables
// and libraries at dump time and compares on restore ("File X has bad build-ID"). Hand-written:
// reading one note needs a header, the program headers and the note segments; a dependency
// would be larger than this file.

import { closeSync, openSync, readSync } from 'node:fs';

const PT_NOTE = 4;
const NT_GNU_BUILD_ID = 3;

function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const n = readSync(fd, b, 0, length, offset);
  return b.subarray(0, n);
}

/** The build-id bytes of the ELF file at `path`; undefined if it is not (little-endian) ELF or has none. */
export function elfBuildId(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const h = readAt(fd, 0, 64);
    if (h.length < 52 || h.readUInt32BE(0) !== 0x7f454c46 || h[5] !== 1) return undefined;
    const is64 = h[4] === 2;
    const phoff = is64 ? Number(h.readBigUInt64LE(0x20)) : h.readUInt32LE(0x1c);
    const phentsize = h.readUInt16LE(is64 ? 0x36 : 0x2a);
    const phnum = h.readUInt16LE(is64 ? 0x38 : 0x2c);
    if (phnum === 0 || phentsize === 0 || phnum > 4096) return undefined;
    const ph = readAt(fd, phoff, phentsize * phnum);
    for (let i = 0; i + 1 <= phnum && (i + 1) * phentsize <= ph.length; i++) {
      const p = ph.subarray(i * phentsize);
      if (p.readUInt32LE(0) !== PT_NOTE) continue;
      const off = is64 ? Number(p.readBigUInt64LE(8)) : p.readUInt32LE(4);
      const size = is64 ? Number(p.readBigUInt64LE(0x20)) : p.readUInt32LE(0x10);
      const notes = readAt(fd, off, Math.min(size, 1 << 16));
      for (let at = 0; at + 12 <= notes.length; ) {
        const namesz = notes.readUInt32LE(at);
        const descsz = notes.readUInt32LE(at + 4);
        const type = notes.readUInt32LE(at + 8);
        const name = notes.subarray(at + 12, at + 12 + namesz);
        const desc = at + 12 + ((namesz + 3) & ~3);
        if (type === NT_GNU_BUILD_ID && name.toString('latin1') === 'GNU\0') return Buffer.from(notes.subarray(desc, desc + descsz));
        at = desc + ((descsz + 3) & ~3);
      }
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The build-id CRIU stored (repeated uint32, little-endian words), as bytes. */
export function recordedBuildId(words: readonly number[]): Buffer {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, i * 4));
  return b;
}
