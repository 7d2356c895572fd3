// A checkpoint's images directory, read lazily: each image file is read and decoded the first
// time something asks for it, then cached. pages-*.img (the memory contents) is never read, only
// its size is taken from stat. Counts the bytes it reads so callers (and the benchmark) can check.

import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Message } from '@bufbuild/protobuf';
import { CryoError } from '../errors/index.js';
import { decodeImage, readImageHeader, type DecodedImage, type ImageEntry } from './decode-image.js';
import { corrupt, ImageError } from './image-error.js';
import type { ImageType } from './image-magic.js';

/** One file of the directory and what it is, by name (content is checked when decoded). */
export interface ImageFile {
  readonly name: string;
  readonly size: number;
  /** `image`: framed protobuf entries; `pages`: raw memory pages; `other`: not a CRIU image (logs ...). */
  readonly kind: 'image' | 'pages' | 'other';
}

/** Which names CRIU gives images: *.img, plus the service images stats-* and irmap-cache. */
function kindOf(name: string): ImageFile['kind'] {
  // pages-shmem-N.img: shared memory contents in images of CRIU < 3.x (now pages-N.img too).
  if (/^pages-(shmem-)?\d+\.img$/.test(name)) return 'pages';
  // CRIU's "raw" images (no magic): a network namespace's addresses, routes, rules, iptables/nft
  // rules and conntrack entries/expectations (netns-ct/-exp: netlink messages), tmpfs tarballs.
  if (/^(ifaddr|route6?|rule|iptables|ip6tables|nftables|netns-ct|netns-exp)-\d+\.img$/.test(name) || name.includes('.tar')) return 'other';
  if (name.endsWith('.img') || /^stats-(dump|restore)$/.test(name) || name === 'irmap-cache') return 'image';
  return 'other';
}

/** Lazy, caching reader over one images directory. */
export class ImagesDir {
  readonly dir: string;
  /** Every regular file in the directory, by name. */
  readonly files: ReadonlyMap<string, ImageFile>;
  /** Bytes read from image files so far (pages are never read). */
  bytesRead = 0;
  private readonly cache = new Map<string, DecodedImage>();

  private constructor(dir: string, files: Map<string, ImageFile>) {
    this.dir = dir;
    this.files = files;
  }

  /** Opens `dir`; fails with CRYO_IMAGES_DIR_INVALID unless it is a directory with inventory.img. */
  static open(dir: string): ImagesDir {
    const invalid = (why: string, cause?: unknown): CryoError =>
      new CryoError('CRYO_IMAGES_DIR_INVALID', `${dir}: ${why}`, {
        operation: 'read checkpoint images', imagesDir: dir, ...(cause === undefined ? {} : { cause }),
      });
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) throw invalid('not a directory');
      names = readdirSync(dir);
    } catch (err) {
      if (err instanceof CryoError) throw err;
      throw invalid(`cannot read the directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
    }
    const files = new Map<string, ImageFile>();
    for (const name of names.sort()) {
      const st = statSync(join(dir, name), { throwIfNoEntry: false });
      if (st?.isFile()) files.set(name, { name, size: st.size, kind: kindOf(name) });
    }
    if (!files.has('inventory.img')) throw invalid('no inventory.img: not a CRIU images directory');
    return new ImagesDir(dir, files);
  }

  has(name: string): boolean {
    return this.files.has(name);
  }

  /** Reads just the magic of an image file, to learn its type without decoding it. */
  typeOf(name: string): ImageType {
    const fd = openSync(join(this.dir, name), 'r');
    try {
      const head = Buffer.alloc(8);
      const n = readSync(fd, head, 0, 8, 0);
      this.bytesRead += n;
      return readImageHeader(head.subarray(0, n), name).type;
    } catch (err) {
      throw err instanceof ImageError ? err.inDir(this.dir) : err;
    } finally {
      closeSync(fd);
    }
  }

  /** The decoded image `name`, which must be of `type`; undefined when the file does not exist. */
  image(name: string, type: ImageType): DecodedImage | undefined {
    let img = this.cache.get(name);
    if (img === undefined) {
      if (!this.files.has(name)) return undefined;
      if (this.files.get(name)!.kind !== 'image') throw corrupt(name, 0, 'is not a protobuf image file');
      const bytes = readFileSync(join(this.dir, name));
      this.bytesRead += bytes.length;
      try {
        img = decodeImage(bytes, name);
      } catch (err) {
        throw err instanceof ImageError ? err.inDir(this.dir) : err;
      }
      this.cache.set(name, img);
    }
    if (img.type !== type) {
      throw new ImageError('CRYO_IMAGE_CORRUPT', name, 4, `holds ${img.type} entries, expected ${type}`, undefined, this.dir);
    }
    return img;
  }

  /** The entries of image `name` (empty when the file does not exist). */
  entries<T extends Message>(name: string, type: ImageType): ImageEntry<T>[] {
    return (this.image(name, type)?.entries ?? []) as ImageEntry<T>[];
  }

  /** The messages of image `name` (empty when the file does not exist). */
  messages<T extends Message>(name: string, type: ImageType): T[] {
    return this.entries<T>(name, type).map((e) => e.message);
  }

  /** The first message of image `name`, for images that hold exactly one entry. */
  first<T extends Message>(name: string, type: ImageType): T | undefined {
    return this.entries<T>(name, type)[0]?.message;
  }
}
