/**
 * Turns the parsed specs into the full set of generated files, as a map from
 * path (relative to src/protocol/generated) to content. No I/O.
 */
import { GENERATED_HEADER, emitMessage } from './emit-message.ts';
import { apiSpecFile, emitApiFile, emitApiKeys, emitApiSpec, emitHeaderVersions, pairApis } from './emit-api-keys.ts';
import { emitCoordinatorRecords, emitMetadataRecords } from './emit-internal.ts';
import { emitRuntime } from './emit-runtime.ts';
import { emitSchemas } from './emit-schema.ts';
import { kebabCase } from './names.ts';
import type { MessageSpec } from './spec.ts';

function indexFile(comment: string, modules: readonly string[], extra: readonly string[] = []): string {
  const lines = [GENERATED_HEADER, `// ${comment}`, ''];
  for (const m of modules) lines.push(`export * from './${m}';`);
  lines.push(...extra);
  return lines.join('\n') + '\n';
}

/** Every exported name must be unique: the index re-exports all modules together. */
function checkUniqueNames(messages: readonly MessageSpec[]): void {
  const seen = new Map<string, string>();
  for (const m of messages) {
    for (const s of [m.root, ...m.structs]) {
      for (const n of [s.typeName, `${s.typeName}Init`]) {
        const other = seen.get(n);
        if (other !== undefined) throw new Error(`${m.source}: type name ${n} also used by ${other}`);
        seen.set(n, m.source);
      }
    }
  }
}

export function generateAll(messages: readonly MessageSpec[]): Map<string, string> {
  checkUniqueNames(messages);
  const files = new Map<string, string>();
  const add = (p: string, content: string): void => {
    if (files.has(p)) throw new Error(`two generated files at ${p}`);
    files.set(p, content);
  };
  add('runtime.ts', emitRuntime());

  const publicModules: string[] = [];
  const internalModules: string[] = [];
  for (const m of messages) {
    const file = `${kebabCase(m.name)}.ts`;
    if (m.folder === 'clients') {
      add(file, emitMessage(m, { primitives: '../primitives/', runtime: './runtime.ts' }));
      publicModules.push(file);
    } else {
      add(`internal/${file}`, emitMessage(m, { primitives: '../../primitives/', runtime: '../runtime.ts' }));
      internalModules.push(file);
    }
  }

  const apis = pairApis(messages);
  add('api-spec.ts', emitApiSpec(apis));
  for (const p of apis) add(apiSpecFile(p), emitApiFile(p));
  add('api-keys.ts', emitApiKeys(apis));
  add('header-versions.ts', emitHeaderVersions(apis));
  add('schemas.ts', emitSchemas(messages));

  const coordinator = emitCoordinatorRecords(messages);
  if (coordinator !== null) {
    add('internal/coordinator-records.ts', coordinator);
    internalModules.push('coordinator-records.ts');
  }
  const metadata = emitMetadataRecords(messages);
  if (metadata !== null) {
    add('internal/metadata-records.ts', metadata);
    internalModules.push('metadata-records.ts');
  }
  add('internal/index.ts', indexFile(
    'Internal records: coordinator state, KRaft metadata, quorum state.',
    internalModules,
  ));
  add('index.ts', indexFile(
    'Every generated request, response, header and data message; the API table; internal records.',
    [...publicModules, 'api-keys.ts', 'header-versions.ts', 'internal/index.ts'],
    [`export { type UnknownTaggedField, EMPTY_BUFFER, ZERO_UUID } from './runtime.ts';`],
  ));
  return files;
}
