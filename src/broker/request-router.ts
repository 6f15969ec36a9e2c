import { Reader } from '../protocol/primitives/reader.ts';
import { Writer } from '../protocol/primitives/writer.ts';
import { ErrorCode } from '../protocol/errors/index.ts';
import { decodeRequestHeader } from '../protocol/generated/request-header.ts';
import { encodeResponseHeader } from '../protocol/generated/response-header.ts';
import { requestHeaderVersion, responseHeaderVersion } from '../protocol/generated/header-versions.ts';
import { encodeApiVersionsResponse } from '../protocol/generated/api-versions-response.ts';
import type { BrokerContext } from './broker-context.ts';
import type { Connection, FrameHandler } from './network/connection.ts';
import { supportedRange } from './handlers/api-handler.ts';
import { apiVersionsList } from './handlers/api-versions.ts';

const API_VERSIONS_KEY = 18;
/** Byte fields from this size on are sent by reference (see Writer.spliceMinBytes). */
const SPLICE_MIN_BYTES = 16 * 1024;

/** Thrown for a request the broker will not serve; the connection is closed, as Kafka does. */
export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

/**
 * Decodes each frame's header and body, calls the API's handler and encodes the
 * response with the header version the API version calls for.
 */
export class RequestRouter implements FrameHandler {
  private readonly broker: BrokerContext;

  constructor(broker: BrokerContext) {
    this.broker = broker;
  }

  handle(frame: Buffer, conn: Connection): Promise<Buffer[] | null> | Buffer[] | null {
    if (frame.length < 8) throw new InvalidRequestError(`request frame of ${frame.length} bytes is too short`);
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = this.broker.handlers.get(apiKey);
    if (!handler) throw new InvalidRequestError(`unsupported API key ${apiKey}`);
    const range = supportedRange(handler);
    if (apiVersion < range.min || apiVersion > range.max) {
      if (apiKey === API_VERSIONS_KEY) return [this.unsupportedApiVersions(correlationId)];
      throw new InvalidRequestError(`unsupported version ${apiVersion} of API ${handler.api.name} (supported ${range.min}-${range.max})`);
    }
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
    const request = handler.api.decodeRequest(r, apiVersion);
    const result = handler.handle({ broker: this.broker, header, apiVersion, connection: conn }, request);
    if (result instanceof Promise) return result.then((res) => (res === null ? null : this.encode(apiKey, apiVersion, correlationId, res)));
    return result === null ? null : this.encode(apiKey, apiVersion, correlationId, result);
  }

  private encode(apiKey: number, apiVersion: number, correlationId: number, response: unknown): Buffer[] {
    const handler = this.broker.handlers.get(apiKey)!;
    const w = new Writer(1024);
    // Record data (Fetch) is written from the buffers it was read into, not copied.
    w.spliceMinBytes = SPLICE_MIN_BYTES;
    w.int32(0);
    encodeResponseHeader(w, { correlationId }, responseHeaderVersion(apiKey, apiVersion));
    handler.api.encodeResponse(w, response, apiVersion);
    const total = w.length;
    const out = w.finishChunks();
    out[0]!.writeInt32BE(total - 4, 0);
    return out;
  }

  /** A v0 ApiVersions answer with UNSUPPORTED_VERSION and the ranges, so any client can downgrade. */
  private unsupportedApiVersions(correlationId: number): Buffer {
    const w = new Writer(512);
    w.int32(0);
    encodeResponseHeader(w, { correlationId }, 0);
    encodeApiVersionsResponse(w, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: apiVersionsList(this.broker) }, 0);
    const out = w.finish();
    out.writeInt32BE(out.length - 4, 0);
    return out;
  }
}
