export { Reader } from './reader.ts';
export { Writer } from './writer.ts';
export { ProtocolDecodeError, ProtocolEncodeError } from './decode-error.ts';
