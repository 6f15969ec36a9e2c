/** Kafka's camelCase: the field name with its first letter lowered (ThrottleTimeMs → throttleTimeMs). */
export function camelCase(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** ProduceRequest → produce-request; KRaftVersionRecord → k-raft-version-record. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** produce-request → ProduceRequest without the trailing Request/Response. */
export function apiName(messageName: string): string {
  return messageName.replace(/(Request|Response)$/, '');
}

/** A single-quoted JS string literal. */
export function quote(s: string): string {
  return `'${JSON.stringify(s).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}
