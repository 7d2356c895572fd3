// CRIU image decoding and the checkpoint model: usable without the daemon.

export { decodeImage, readImageHeader, type DecodedImage, type ImageEntry, type RawPayload } from './decode-image.js';
export { ImageError } from './image-error.js';
export { imageLayouts, type ImageLayout } from './image-layouts.js';
export { imageMagics, imageTypeOf, type ImageType } from './image-magic.js';
export { ImagesDir, type ImageFile } from './images-dir.js';
export { buildCheckpointModel, type BuildModelOptions } from './model/build-model.js';
export { PAGE_SIZE } from './model/build-memory.js';
export * from './model/queries.js';
export type * from './model/types.js';
