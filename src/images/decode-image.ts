// Decodes one CRIU image file held in memory: magic(s), then u32-length-framed protobuf entries,
// each maybe followed by raw bytes. Every length read from the file is checked against the bytes
// that remain before it is used, so damaged input fails with an ImageError, never a crash, a hang
// or a huge allocation.

import { fromBinary, type DescMessage, type Message } from '@bufbuild/protobuf';
import {
  ghost_chunk_entrySchema, ghost_file_entrySchema, type ghost_chunk_entry, type ghost_file_entry,
} from '../gen/criu/images/ghost-file_pb.js';
import { ipc_msgSchema, type ipc_msg } from '../gen/criu/images/ipc-msg_pb.js';
import { pagemap_entrySchema, pagemap_headSchema } from '../gen/criu/images/pagemap_pb.js';
import { corrupt, ImageError } from './image-error.js';
import { imageLayouts, type Trailer } from './image-layouts.js';
import { IMG_COMMON_MAGIC, IMG_SERVICE_MAGIC, INVENTORY_MAGIC, imageTypeOf, type ImageType } from './image-magic.js';

/** Raw bytes that follow an entry (pipe contents, socket queue data, ghost file contents ...). */
export interface RawPayload {
  readonly offset: number;
  readonly length: number;
}

/** One decoded entry, with where it sits in the file. */
export interface ImageEntry<T extends Message = Message> {
  /** Byte offset of the entry's u32 length word. */
  readonly offset: number;
  /** Length of the protobuf message in bytes. */
  readonly size: number;
  readonly message: T;
  /** Raw bytes following the entry, when the image type has any. */
  readonly payload?: RawPayload;
  /** Sub-entries following the entry (System V message queue messages). */
  readonly children?: readonly ImageEntry[];
}

/** A decoded image file. */
export interface DecodedImage {
  readonly file: string;
  readonly type: ImageType;
  readonly entries: readonly ImageEntry[];
}

const u32 = (b: Uint8Array, at: number): number =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** Reads the magic(s) at the start of an image: its type and where its entries begin. */
export function readImageHeader(bytes: Uint8Array, file: string): { type: ImageType; start: number } {
  if (bytes.length < 4) throw corrupt(file, 0, `file has ${bytes.length} bytes, too short for an image magic`);
  const first = u32(bytes, 0);
  if (first === INVENTORY_MAGIC) return { type: 'INVENTORY', start: 4 };
  if (first !== IMG_COMMON_MAGIC && first !== IMG_SERVICE_MAGIC) {
    throw corrupt(file, 0, `not a CRIU image: magic ${hex(first)} is neither the inventory, common nor service magic`);
  }
  if (bytes.length < 8) throw corrupt(file, 4, 'file ends before the image type magic');
  const second = u32(bytes, 4);
  const type = imageTypeOf(second);
  if (type === undefined || type === 'INVENTORY') {
    throw new ImageError('CRYO_IMAGE_UNKNOWN', file, 4, `unknown image type magic ${hex(second)}`);
  }
  return { type, start: 8 };
}

/** A cursor over one file's bytes that only moves forward after a bounds check. */
class EntryReader {
  pos: number;
  constructor(readonly bytes: Uint8Array, readonly file: string, readonly type: string, start: number) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** Reads one framed message; `schema` decides how its bytes are interpreted. */
  message<T extends Message>(schema: DescMessage): { offset: number; size: number; message: T } {
    const offset = this.pos;
    const left = this.bytes.length - offset;
    if (left < 4) throw corrupt(this.file, offset, `truncated entry: ${left} bytes left, a length word needs 4`);
    const size = u32(this.bytes, offset);
    if (size > left - 4) {
      throw corrupt(this.file, offset, `entry length ${size} runs past the end of the file (${left - 4} bytes left)`);
    }
    let message: T;
    try {
      message = fromBinary(schema, this.bytes.subarray(offset + 4, offset + 4 + size), { readUnknownFields: false }) as T;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw corrupt(this.file, offset, `entry is not a valid ${this.type} (${schema.name}) message: ${why}`, err);
    }
    this.pos = offset + 4 + size;
    return { offset, size, message };
  }

  /** Skips `length` raw bytes that follow an entry, checking they are really there. */
  raw(length: bigint | number, what: string): RawPayload {
    const offset = this.pos;
    const left = this.bytes.length - offset;
    if (typeof length === 'bigint' ? length > BigInt(left) : !(length >= 0 && length <= left)) {
      throw corrupt(this.file, offset, `${what} of ${length} bytes runs past the end of the file (${left} bytes left)`);
    }
    const n = Number(length);
    this.pos = offset + n;
    return { offset, length: n };
  }
}

const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

function readTrailer(r: EntryReader, trailer: Trailer): Pick<ImageEntry, 'payload' | 'children'> {
  if (trailer === null) return {};
  if (trailer.kind === 'bytes') return { payload: r.raw(trailer.length, 'raw data after the entry') };
  // System V message queue: `count` framed ipc_msg entries, each followed by msize bytes padded to 8.
  const children: ImageEntry[] = [];
  for (let i = 0; i < trailer.count && !r.done; i++) {
    const m = r.message<ipc_msg>(ipc_msgSchema);
    children.push({ ...m, payload: r.raw(roundUp8(m.message.msize), 'message queue data') });
  }
  return { children };
}

/** Decodes a whole image file. `file` names it in errors. Throws ImageError (a CryoError). */
export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  const { type, start } = readImageHeader(bytes, file);
  const layout = imageLayouts[type];
  const r = new EntryReader(bytes, file, type, start);
  const entries: ImageEntry[] = [];
  switch (layout.kind) {
    case 'opaque':
      break;
    case 'entries':
      while (!r.done) {
        const m = r.message(layout.schema);
        entries.push(layout.trailer ? { ...m, ...readTrailer(r, layout.trailer(m.message)) } : m);
      }
      break;
    case 'pagemap':
      if (!r.done) entries.push(r.message(pagemap_headSchema));
      while (!r.done) entries.push(r.message(pagemap_entrySchema));
      break;
    case 'ghost': {
      if (r.done) break;
      const head = r.message<ghost_file_entry>(ghost_file_entrySchema);
      if (head.message.chunks !== true) {
        entries.push({ ...head, payload: r.raw(bytes.length - r.pos, 'ghost file contents') });
        break;
      }
      entries.push(head);
      while (!r.done) {
        const c = r.message<ghost_chunk_entry>(ghost_chunk_entrySchema);
        entries.push({ ...c, payload: r.raw(c.message.len, 'ghost file chunk') });
      }
      break;
    }
  }
  return { file, type, entries };
}
