/**
 * The store error normaliser and retry timing: which failures are retried,
 * which fail the batch, and what the typed errors carry.
 */
import { describe, expect, it } from 'vitest';
import { ClickHouseError } from '@clickhouse/client';
import { ClickHouseExporterError, StoreWriteError } from '../src/errors.js';
import {
  BACKOFF_MULTIPLIER,
  backoffDelay,
  INITIAL_BACKOFF_MS,
  JITTER,
  MAX_BACKOFF_MS,
  MAX_RETRY_AFTER_MS,
} from '../src/exporter-retry.js';
import { normalizeHttpError, normalizeStoreError, parseRetryAfter } from '../src/store-errors.js';

function nodeError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:8123`), { code });
}

describe('ClickHouseSpanExporter', () => {
  describe('normalizeStoreError', () => {
    it.each([
      ['TOO_MANY_PARTS', 252],
      ['TIMEOUT_EXCEEDED', 159],
      ['NETWORK_ERROR', 210],
      ['SOCKET_TIMEOUT', 209],
      ['MEMORY_LIMIT_EXCEEDED', 241],
    ])('retries ClickHouse %s (%i)', (type, code) => {
      const error = normalizeStoreError(
        new ClickHouseError({ message: 'busy', code: String(code), type }),
      );
      expect(error).toBeInstanceOf(StoreWriteError);
      expect(error).toBeInstanceOf(ClickHouseExporterError);
      expect(error).toMatchObject({
        code: 'STORE_WRITE_FAILED',
        retryable: true,
        clickhouseCode: code,
        clickhouseType: type,
      });
    });

    it('fails a syntax error or an unknown table at once', () => {
      for (const [code, type] of [
        ['62', 'SYNTAX_ERROR'],
        ['60', 'UNKNOWN_TABLE'],
        ['81', 'UNKNOWN_DATABASE'],
      ] as const) {
        const error = normalizeStoreError(new ClickHouseError({ message: 'no', code, type }));
        expect(error.retryable).toBe(false);
        expect(error.clickhouseCode).toBe(Number(code));
      }
    });

    it('reads the code chDB puts in clickhouseCode', () => {
      const chdb = Object.assign(
        new Error('Code: 252. DB::Exception: Too many parts. (TOO_MANY_PARTS)'),
        {
          code: 'CHDB_QUERY',
          clickhouseCode: 252,
        },
      );
      expect(normalizeStoreError(chdb)).toMatchObject({ retryable: true, clickhouseCode: 252 });
      const bad = Object.assign(
        new Error('Code: 60. DB::Exception: Unknown table. (UNKNOWN_TABLE)'),
        {
          code: 'CHDB_QUERY',
          clickhouseCode: 60,
        },
      );
      expect(normalizeStoreError(bad)).toMatchObject({
        retryable: false,
        clickhouseType: 'UNKNOWN_TABLE',
      });
    });

    it('parses a server message when the error has no fields', () => {
      const error = normalizeStoreError(
        new Error(
          'Code: 252. DB::Exception: Too many parts (300). (TOO_MANY_PARTS) (version 26.7)',
        ),
      );
      expect(error).toMatchObject({
        retryable: true,
        clickhouseCode: 252,
        clickhouseType: 'TOO_MANY_PARTS',
      });
    });

    it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN'])(
      'retries the network error %s',
      (code) => {
        expect(normalizeStoreError(nodeError(code)).retryable).toBe(true);
      },
    );

    it('retries a client request timeout and fails an unknown error', () => {
      expect(normalizeStoreError(new Error('Timeout error.')).retryable).toBe(true);
      expect(normalizeStoreError(new Error('something odd')).retryable).toBe(false);
      expect(normalizeStoreError('a string').retryable).toBe(false);
    });

    it('keeps the cause', () => {
      const cause = nodeError('ECONNREFUSED');
      expect(normalizeStoreError(cause).cause).toBe(cause);
    });
  });

  describe('normalizeHttpError', () => {
    it.each([429, 502, 503, 504])('retries HTTP %i', (status) => {
      expect(normalizeHttpError({ status, body: 'busy' })).toMatchObject({
        retryable: true,
        httpStatus: status,
      });
    });

    it.each([400, 401, 403, 404, 500])('fails HTTP %i without a retryable code', (status) => {
      expect(normalizeHttpError({ status, body: 'no' }).retryable).toBe(false);
    });

    it('reads X-ClickHouse-Exception-Code and Retry-After', () => {
      const error = normalizeHttpError({
        status: 500,
        body: 'Code: 241. DB::Exception: Memory limit exceeded. (MEMORY_LIMIT_EXCEEDED)',
        exceptionCode: '241',
        retryAfter: '2',
      });
      expect(error).toMatchObject({
        retryable: true,
        clickhouseCode: 241,
        clickhouseType: 'MEMORY_LIMIT_EXCEEDED',
        retryAfterMs: 2_000,
      });
    });

    it('parses Retry-After as seconds or an HTTP date', () => {
      const now = Date.parse('2026-01-01T00:00:00Z');
      expect(parseRetryAfter('3', now)).toBe(3_000);
      expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
      expect(parseRetryAfter('soon', now)).toBeUndefined();
      expect(parseRetryAfter(undefined, now)).toBeUndefined();
    });
  });

  describe('backoffDelay', () => {
    it('grows exponentially within the jitter band and is capped', () => {
      for (let attempt = 1; attempt <= 12; attempt++) {
        const base = Math.min(
          INITIAL_BACKOFF_MS * BACKOFF_MULTIPLIER ** (attempt - 1),
          MAX_BACKOFF_MS,
        );
        expect(backoffDelay(attempt, undefined, () => 0)).toBe(Math.round(base * (1 - JITTER)));
        expect(backoffDelay(attempt, undefined, () => 1)).toBe(Math.round(base * (1 + JITTER)));
      }
    });

    it('honours Retry-After up to a cap', () => {
      expect(backoffDelay(1, 1_234)).toBe(1_234);
      expect(backoffDelay(1, 10 * MAX_RETRY_AFTER_MS)).toBe(MAX_RETRY_AFTER_MS);
    });
  });
});
