/**
 * What `samsa consumer-groups` prints, as kafka-consumer-groups.sh prints it
 * (ConsumerGroupCommand): Java's `%-Ns` columns, "-" for a missing value, tables
 * starting with a blank line. Pure functions of their input, for unit tests.
 */

export const MISSING = '-';

/** Java's `%-Ns`: left-aligned, padded to `width`, never cut. */
export function pad(value: string | number | bigint, width: number): string {
  return String(value).padEnd(width, ' ');
}

/** Kafka's valid consumer group states (ConsumerGroupState without UNKNOWN), in Kafka's order. */
export const VALID_STATES = ['PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead', 'Empty', 'Assigning', 'Reconciling'] as const;

/** Kafka's consumerGroupStatesFromString: comma-separated, case-insensitive. */
export function parseStates(input: string): string[] {
  const out: string[] = [];
  for (const raw of input.split(',')) {
    const s = VALID_STATES.find((v) => v.toLowerCase() === raw.trim().toLowerCase());
    if (s === undefined) throw new Error(`Invalid state list '${input}'. Valid states are: ${VALID_STATES.join(', ')}`);
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

/** `--list --state`: GROUP and STATE columns. */
export function formatGroupStates(groups: readonly { groupId: string; state: string | null }[]): string {
  const w = Math.max(15, ...groups.map((g) => g.groupId.length));
  let out = `${pad('GROUP', w)} STATE\n`;
  for (const g of groups) out += `${pad(g.groupId, w)} ${g.state ?? 'Unknown'}\n`;
  return out;
}

export interface OffsetRow {
  group: string;
  topic: string | null;
  partition: number | null;
  offset: bigint | null;
  logEndOffset: bigint | null;
  consumerId: string | null;
  host: string | null;
  clientId: string | null;
}

export function lagOf(row: { offset: bigint | null; logEndOffset: bigint | null }): bigint | null {
  return row.offset !== null && row.logEndOffset !== null ? row.logEndOffset - row.offset : null;
}

const show = (v: string | number | bigint | null): string => (v === null ? MISSING : String(v));

/** `--describe [--offsets]`: one row per partition (assigned, or with a committed offset). */
export function formatOffsets(rows: readonly OffsetRow[]): string {
  const wGroup = Math.max(15, ...rows.map((r) => r.group.length));
  const wTopic = Math.max(15, ...rows.map((r) => show(r.topic).length));
  const wConsumer = Math.max(15, ...rows.map((r) => show(r.consumerId).length));
  const wHost = Math.max(15, ...rows.map((r) => show(r.host).length));
  const line = (c: readonly string[]): string =>
    `\n${pad(c[0]!, wGroup)} ${pad(c[1]!, wTopic)} ${pad(c[2]!, 10)} ${pad(c[3]!, 15)} ${pad(c[4]!, 15)} ${pad(c[5]!, 15)} ${pad(c[6]!, wConsumer)} ${pad(c[7]!, wHost)} ${c[8]!}`;
  let out = line(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']);
  for (const r of rows) {
    out += line([r.group, show(r.topic), show(r.partition), show(r.offset), show(r.logEndOffset), show(lagOf(r)), show(r.consumerId), show(r.host), show(r.clientId)]);
  }
  return `${out}\n`;
}

export interface MemberRow {
  group: string;
  consumerId: string;
  groupInstanceId: string | null;
  host: string;
  clientId: string;
  assignment: readonly { topic: string; partition: number }[];
}

/** Kafka's ASSIGNMENT column: "topic(0,1,2), other(0)", topics sorted; "-" for none. */
export function formatAssignment(assignment: readonly { topic: string; partition: number }[]): string {
  if (assignment.length === 0) return MISSING;
  const byTopic = new Map<string, number[]>();
  for (const tp of assignment) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  return [...byTopic]
    .map(([topic, parts]) => `${topic}(${[...parts].sort((a, b) => a - b).join(',')})`)
    .sort()
    .join(', ');
}

/** `--describe --members [--verbose]`. GROUP-INSTANCE-ID only when a member has one. */
export function formatMembers(rows: readonly MemberRow[], verbose: boolean): string {
  const wGroup = Math.max(15, ...rows.map((r) => r.group.length));
  const wConsumer = Math.max(15, ...rows.map((r) => r.consumerId.length));
  const withInstance = rows.some((r) => r.groupInstanceId !== null && r.groupInstanceId !== '');
  const wInstance = Math.max(17, ...rows.map((r) => (r.groupInstanceId ?? '').length));
  const wHost = Math.max(15, ...rows.map((r) => r.host.length));
  const wClient = Math.max(15, ...rows.map((r) => r.clientId.length));
  const cells = (group: string, consumer: string, instance: string, host: string, client: string, parts: string): string =>
    withInstance
      ? `${pad(group, wGroup)} ${pad(consumer, wConsumer)} ${pad(instance, wInstance)} ${pad(host, wHost)} ${pad(client, wClient)} ${pad(parts, 15)} `
      : `${pad(group, wGroup)} ${pad(consumer, wConsumer)} ${pad(host, wHost)} ${pad(client, wClient)} ${pad(parts, 15)} `;
  let out = `\n${cells('GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS')}${verbose ? 'ASSIGNMENT' : ''}\n`;
  for (const r of rows) {
    out += `${cells(r.group, r.consumerId, r.groupInstanceId ?? '', r.host, r.clientId, String(r.assignment.length))}${verbose ? formatAssignment(r.assignment) : ''}\n`;
  }
  return out;
}

export interface StateRow {
  group: string;
  coordinator: { id: number; host: string; port: number } | null;
  assignmentStrategy: string;
  state: string;
  members: number;
}

/** `--describe --state`. Kafka sizes the first column by the coordinator's text, and so does this. */
export function formatState(s: StateRow): string {
  const coordinator = s.coordinator ? `${s.coordinator.host}:${s.coordinator.port}  (${s.coordinator.id})` : MISSING;
  const w = Math.max(25, coordinator.length);
  const line = (a: string, b: string, c: string, d: string, e: string): string => `\n${pad(a, w)} ${pad(b, 25)} ${pad(c, 20)} ${pad(d, 15)} ${e}`;
  return `${line('GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS')}${line(s.group, coordinator, s.assignmentStrategy, s.state, String(s.members))}\n`;
}

export interface ResetRow {
  group: string;
  topic: string;
  partition: number;
  offset: bigint;
}

/** `--reset-offsets`: GROUP TOPIC PARTITION NEW-OFFSET (Kafka's OffsetsUtils.printOffsetsToReset). */
export function formatResetOffsets(rows: readonly ResetRow[]): string {
  if (rows.length === 0) return '\n';
  const wGroup = Math.max(15, ...rows.map((r) => r.group.length));
  const wTopic = Math.max(15, ...rows.map((r) => r.topic.length));
  const line = (a: string, b: string, c: string, d: string): string => `\n${pad(a, wGroup)} ${pad(b, wTopic)} ${pad(c, 10)} ${d}`;
  let out = line('GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET');
  for (const r of rows) out += line(r.group, r.topic, String(r.partition), String(r.offset));
  return `${out}\n`;
}

/** `--reset-offsets --export`: Kafka's CSV, "topic,partition,offset" (with the group first when several groups). */
export function formatResetCsv(rows: readonly ResetRow[], withGroup: boolean): string {
  return rows.map((r) => (withGroup ? `${r.group},${r.topic},${r.partition},${r.offset}` : `${r.topic},${r.partition},${r.offset}`)).join('\n') + '\n';
}

/** `--delete-offsets`: TOPIC PARTITION STATUS. */
export function formatDeleteOffsets(rows: readonly { topic: string; partition: number | null; error: string | null }[]): string {
  const line = (a: string, b: string, c: string): string => `\n${pad(a, 30)} ${pad(b, 15)} ${pad(c, 15)}`;
  let out = line('TOPIC', 'PARTITION', 'STATUS');
  for (const r of rows) out += line(r.topic, r.partition === null ? 'Not Provided' : String(r.partition), r.error === null ? 'Successful' : `Error: ${r.error}`);
  return `${out}\n`;
}

/**
 * Kafka's Utils.getDateTime: yyyy-MM-ddTHH:mm:ss.SSS with an optional zone
 * (Z, ±HH, ±HHmm, ±HH:mm), UTC when none is given. Epoch milliseconds.
 */
export function parseDateTime(text: string): number {
  const t = text.indexOf('T');
  if (t < 0) throw new Error("Error parsing timestamp. It does not contain a 'T' according to ISO8601 format");
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text);
  if (!m) throw new Error(`Unparseable date: "${text}"`);
  const [, y, mo, d, h, mi, s, ms, zone] = m;
  const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms));
  const check = new Date(local);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    throw new Error(`Unparseable date: "${text}"`);
  }
  if (zone === undefined || zone === 'Z') return local;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0);
  return local - sign * offsetMin * 60_000;
}

/** ISO-8601 durations as --by-duration takes them: PnDTnHnMnS (also PnW), in milliseconds. */
export function parseDuration(text: string): number {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim());
  if (!m || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) throw new Error(`Text cannot be parsed to a Duration: ${text}`);
  const [, w, d, h, mi, s] = m;
  return (((Number(w ?? 0) * 7 + Number(d ?? 0)) * 24 + Number(h ?? 0)) * 60 + Number(mi ?? 0)) * 60_000 + Math.round(Number(s ?? 0) * 1000);
}
