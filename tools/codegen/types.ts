/**
 * How spec types map to TypeScript: the decoded shape (every field present) and
 * the Init shape (every field optional, what encoders accept), defaults, and
 * the "is this the default" tests Kafka's semantics rest on.
 */
import { quote } from './names.ts';
import type { ElementType, FieldSpec, FieldType, PrimitiveName, StructSpec } from './spec.ts';

export function primitiveTs(name: PrimitiveName, decoded: boolean): string {
  switch (name) {
    case 'bool': return 'boolean';
    case 'int64': return 'bigint';
    case 'string': case 'uuid': return 'string';
    case 'bytes': case 'records': return decoded ? 'Buffer' : 'Uint8Array';
    default: return 'number';
  }
}

export function elementTs(e: ElementType, decoded: boolean): string {
  if (e.kind === 'primitive') return primitiveTs(e.name, decoded);
  return decoded ? e.struct.typeName : `${e.struct.typeName}Init`;
}

export function typeTs(t: FieldType, decoded: boolean): string {
  if (t.kind === 'array') {
    const el = elementTs(t.element, decoded);
    return decoded ? `${el}[]` : `readonly ${el}[]`;
  }
  return elementTs(t, decoded);
}

export function fieldTs(f: FieldSpec, decoded: boolean): string {
  const base = typeTs(f.type, decoded);
  return f.nullableVersions !== null ? `${base} | null` : base;
}

export function structOf(t: FieldType): StructSpec | null {
  const e = t.kind === 'array' ? t.element : t;
  return e.kind === 'struct' ? e.struct : null;
}

/** Fixed encoded size of a primitive, or null when it varies. */
export function fixedSize(name: PrimitiveName): number | null {
  switch (name) {
    case 'bool': case 'int8': return 1;
    case 'int16': case 'uint16': return 2;
    case 'int32': case 'uint32': return 4;
    case 'int64': case 'float64': return 8;
    case 'uuid': return 16;
    default: return null;
  }
}

/**
 * The default as a JS expression. `decoded` selects a fresh default struct
 * (decoder output) over `{}` (an Init meaning "all defaults").
 */
export function defaultLiteral(f: FieldSpec, decoded: boolean): string {
  const d = f.defaultValue;
  switch (d.kind) {
    case 'null': return 'null';
    case 'number': return Object.is(d.value, -0) ? '-0' : String(d.value);
    case 'bigint': return `${d.value}n`;
    case 'bool': return String(d.value);
    case 'string': return quote(d.value);
    case 'empty':
      if (f.type.kind === 'array') return '[]';
      if (f.type.kind === 'struct') return decoded ? `default${f.type.struct.typeName}()` : '{}';
      return 'EMPTY_BUFFER';
  }
}

/** A JS expression true when `x` (already defaulted, never undefined) differs from the default. */
export function nonDefaultExpr(f: FieldSpec, x: string): string {
  const d = f.defaultValue;
  const nullable = f.nullableVersions !== null;
  if (d.kind === 'null') return `${x} !== null`;
  if (d.kind === 'empty') {
    if (f.type.kind === 'struct') {
      const call = `!isDefault${f.type.struct.typeName}(${x})`;
      return nullable ? `(${x} === null || ${call})` : call;
    }
    return nullable ? `(${x} === null || ${x}.length !== 0)` : `${x}.length !== 0`;
  }
  return `${x} !== ${defaultLiteral(f, true)}`;
}

/** Structs held directly (not in arrays) by some field: they need default/isDefault helpers. */
export function directStructs(structs: readonly StructSpec[]): Set<StructSpec> {
  const out = new Set<StructSpec>();
  for (const s of structs) {
    for (const f of s.fields) {
      if (f.type.kind === 'struct') out.add(f.type.struct);
    }
  }
  return out;
}
