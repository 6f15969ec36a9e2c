export {
  CompressionCodec,
  CODEC_NAMES,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  codecFromName,
  codecName,
  isCompressionCodec,
} from './codec.ts';
export { compress, compressAsync, decompress, decompressAsync } from './compress.ts';
export type { CompressOptions, DecompressOptions } from './compress.ts';
export {
  XERIAL_BLOCK_SIZE,
  XERIAL_HEADER,
  isXerialFramed,
  rawSnappyLength,
  snappyCompressRaw,
  snappyCompressXerial,
  snappyDecompress,
} from './snappy.ts';
export { lz4Compress, lz4Decompress } from './lz4.ts';
export { xxhash32 } from './xxhash32.ts';
