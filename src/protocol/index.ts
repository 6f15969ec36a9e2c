/**
 * samsa/protocol: the Kafka wire protocol, no I/O.
 *
 * - primitives: bounds-checked Reader/Writer and the two protocol errors;
 * - generated: every request/response (encodeXxxRequest / decodeXxxRequest for
 *   every version), request/response headers and their version helpers, the API
 *   table (ApiKey, APIS, API_BY_KEY) and internal records (coordinator and KRaft
 *   metadata framing).
 */
export * from './primitives/index.ts';
export * from './generated/index.ts';
