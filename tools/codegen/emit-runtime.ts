/**
 * The small runtime every generated module imports: tagged-field plumbing and
 * the errors for values a version cannot carry. Emitted as generated/runtime.ts.
 */
import { GENERATED_HEADER } from './emit-message.ts';

export function emitRuntime(): string {
  return `${GENERATED_HEADER}
// Shared helpers for the generated codecs.

import type { Writer } from '../primitives/writer.ts';
import { ProtocolEncodeError } from '../primitives/decode-error.ts';

/** A tagged field the decoding version does not know: its tag and raw bytes. */
export interface UnknownTaggedField {
  readonly tag: number;
  readonly data: Buffer;
}

/** The default of non-nullable bytes fields. Never written to. */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

/** Kafka's Uuid.ZERO_UUID as this library spells UUIDs. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const NO_TAGGED_FIELDS: readonly UnknownTaggedField[] = [];

export function unsupportedVersion(message: string, version: number): never {
  throw new ProtocolEncodeError(\`\${message} version \${version} is not supported\`);
}

export function nullNotAllowed(field: string, version: number): never {
  throw new ProtocolEncodeError(\`\${field} cannot be null in version \${version}\`);
}

/** A non-default value in a version without the field (and the field is not ignorable). */
export function notInVersion(field: string, version: number): never {
  throw new ProtocolEncodeError(\`\${field} is not in version \${version} and is not ignorable; leave it at its default\`);
}

/** Unknown tagged fields in ascending tag order (the wire order). */
export function sortedTaggedFields(u: readonly UnknownTaggedField[] | undefined): readonly UnknownTaggedField[] {
  if (u === undefined) return NO_TAGGED_FIELDS;
  for (let i = 1; i < u.length; i++) {
    if (u[i]!.tag <= u[i - 1]!.tag) return [...u].sort((a, b) => a.tag - b.tag);
  }
  return u;
}

function writeUnknown(w: Writer, f: UnknownTaggedField): void {
  w.unsignedVarint(f.tag);
  w.unsignedVarint(f.data.length);
  w.raw(f.data);
}

/** Writes the unknown fields from index i whose tag is below \`tag\`; returns the next index. */
export function writeUnknownTaggedBefore(w: Writer, u: readonly UnknownTaggedField[], i: number, tag: number): number {
  while (i < u.length && u[i]!.tag < tag) writeUnknown(w, u[i++]!);
  if (i < u.length && u[i]!.tag === tag) {
    throw new ProtocolEncodeError(\`unknown tagged field \${tag} is a known tag in this version\`);
  }
  return i;
}

export function writeUnknownTaggedRest(w: Writer, u: readonly UnknownTaggedField[], i: number): void {
  while (i < u.length) writeUnknown(w, u[i++]!);
}

/** The whole tagged-field section of a struct with no known tagged fields. */
export function writeUnknownTaggedFields(w: Writer, u: readonly UnknownTaggedField[] | undefined): void {
  if (u === undefined || u.length === 0) {
    w.unsignedVarint(0);
    return;
  }
  const sorted = sortedTaggedFields(u);
  w.unsignedVarint(sorted.length);
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i]!.tag === sorted[i - 1]!.tag) {
      throw new ProtocolEncodeError(\`duplicate unknown tagged field \${sorted[i]!.tag}\`);
    }
    writeUnknown(w, sorted[i]!);
  }
}

/**
 * Starts a tagged field whose size is not known in advance: writes the tag and
 * reserves one byte for the size. endTaggedField patches the size, moving the
 * data when the size needs more than one varint byte. Splicing large byte fields
 * (Writer.spliceMinBytes) is blocked in between, as the patch needs contiguous bytes.
 */
export function beginTaggedField(w: Writer, tag: number): number {
  w.unsignedVarint(tag);
  w.ensure(1);
  w.spliceBlocked++;
  return w.pos++;
}

export function endTaggedField(w: Writer, mark: number): void {
  w.spliceBlocked--;
  const size = w.pos - mark - 1;
  if (size < 0x80) {
    w.buf[mark] = size;
    return;
  }
  let width = 1;
  for (let s = size; s >= 0x80; s = Math.floor(s / 128)) width++;
  w.ensure(width - 1);
  w.buf.copyWithin(mark + width, mark + 1, w.pos);
  const end = w.pos + width - 1;
  w.pos = mark;
  w.unsignedVarint(size);
  w.pos = end;
}
`;
}
