// Errors for damaged or unknown image files: always a CryoError that names the file and the byte
// offset where decoding stopped, so a user (or a test) can find the damage.

import { CryoError } from '../errors/index.js';

type ImageErrorCode = 'CRYO_IMAGE_CORRUPT' | 'CRYO_IMAGE_UNKNOWN';

/** A CryoError about one image file, with the file and offset as fields (not only in the text). */
export class ImageError extends CryoError {
  readonly file: string;
  readonly offset: number;
  /** What is wrong, without the file and offset. */
  readonly what: string;

  constructor(code: ImageErrorCode, file: string, offset: number, what: string, cause?: unknown, imagesDir?: string) {
    super(code, `${file}: ${what} (at byte ${offset})`, {
      operation: 'read checkpoint images',
      ...(imagesDir === undefined ? {} : { imagesDir }),
      ...(cause === undefined ? {} : { cause }),
    });
    this.file = file;
    this.offset = offset;
    this.what = what;
  }

  /** The same error, saying which images directory the file belongs to. */
  inDir(imagesDir: string): ImageError {
    return new ImageError(this.code as ImageErrorCode, this.file, this.offset, this.what, this.context.cause, imagesDir);
  }
}

/** Shorthand for the common case: the bytes at `offset` of `file` are not what CRIU writes. */
export function corrupt(file: string, offset: number, what: string, cause?: unknown): ImageError {
  return new ImageError('CRYO_IMAGE_CORRUPT', file, offset, what, cause);
}
