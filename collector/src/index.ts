/**
 * @agenttrace/collector: an OTLP/HTTP trace receiver that runs every span
 * through the agenttrace privacy allowlist before handing it to an exporter.
 */
export { createCollector } from './create-collector.js';
export { startCollectorService } from './service.js';
export type { CollectorService, CollectorServiceOptions } from './service.js';
export { queryRoutes } from './query-routes.js';
export { contribCollectorConfig } from './contrib/contrib-config.js';
export type { ContribConfigOptions } from './contrib/contrib-config.js';
export type { Collector } from './create-collector.js';
export { resolveOptions } from './options.js';
export type { CollectorOptions, ResolvedCollectorOptions, TailSamplingOptions } from './options.js';
export { CollectorMetrics } from './metrics.js';
export type { DropReason, RejectReason } from './metrics.js';
export { createJsonLineLogger, silentLogger } from './logger.js';
export type { CollectorLogger, LogFields } from './logger.js';
export { createTokenVerifier } from './auth.js';
export type { TokenVerifier } from './auth.js';
export { collectTokens, parseTokenList, readTokensFile } from './tokens-file.js';
export type { TokensFile } from './tokens-file.js';
export {
  COLLECTOR_ADDRESS_FILE,
  isProcessAlive,
  publishAddress,
  readAddressFile,
  writeAddressFile,
} from './address-file.js';
export type { CollectorAddress } from './address-file.js';
export {
  CollectorError,
  InvalidRequestError,
  InvalidSpanError,
  BodyTooLargeError,
  RequestTimeoutError,
} from './errors.js';
export type { CollectorErrorCode } from './errors.js';
export { decodeProtobufRequest } from './otlp/decode-protobuf.js';
export { decodeJsonRequest } from './otlp/decode-json.js';
export type { DecodedRequest } from './otlp/decoded-request.js';
export { DEFAULT_DECODE_LIMITS } from './otlp/limits.js';
export type { DecodeLimits } from './otlp/limits.js';
export { keepByTraceId } from './tail-sampler.js';
