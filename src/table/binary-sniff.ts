/**
 * Is this file text? A model or a .npy array handed where a CSV is expected
 * would otherwise be parsed as CSV and echo binary garbage in the error.
 */

const SAMPLE_BYTES = 8192;

/** Known binary formats by their first bytes. */
const MAGIC: Array<[number[], string]> = [
  [[0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59], 'a numpy .npy array'],
  [[0x50, 0x41, 0x52, 0x31], 'a Parquet file'],
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive (an .xlsx workbook or a .npz?)'],
  [[0x1f, 0x8b], 'gzip-compressed data (decompress it first)'],
  [[0xff, 0xfe], 'UTF-16 text (save it as UTF-8)'],
  [[0xfe, 0xff], 'UTF-16 text (save it as UTF-8)'],
];

/** What the binary content looks like, or undefined for text. */
export function describeBinary(bytes: Uint8Array): string | undefined {
  for (const [magic, what] of MAGIC) if (magic.every((b, i) => bytes[i] === b)) return what;
  const sample = bytes.subarray(0, SAMPLE_BYTES);
  let control = 0;
  for (const b of sample) {
    if (b === 0) return binaryData(sample);
    // Bytes below 0x20 other than tab, LF, FF, CR do not occur in text.
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) control++;
  }
  if (sample.length && control / sample.length > 0.05) return binaryData(sample);
  return undefined;
}

/** Serialized ModelProtos start with ir_version: field 1 as a varint (0x08), then a small version. */
function binaryData(sample: Uint8Array): string {
  return sample[0] === 0x08 && sample[1] > 0 && sample[1] < 32
    ? 'binary data (it starts like an ONNX model)'
    : 'binary data';
}
