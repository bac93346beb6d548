/**
 * Options of the store the exporter writes to, and their resolution into
 * one internal shape: `user ?? default` (the env layer, `store-env.ts`,
 * turns environment variables into these same options).
 *
 * No `url`: the embedded chDB engine, data under `./.agenttrace/store`.
 * A `url`: a ClickHouse server over HTTP(S).
 */
import { z } from 'zod';
import { InvalidOptionsError } from './errors.js';

/** Where the embedded engine keeps its data unless told otherwise. */
export const DEFAULT_EMBEDDED_PATH = './.agenttrace/store';
/** Database used unless told otherwise. */
export const DEFAULT_DATABASE = 'default';
/** How long one HTTP request to a server may take. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Options of the ClickHouse store (server or embedded). */
export interface StoreOptions {
  /**
   * ClickHouse server HTTP(S) endpoint, e.g. `http://localhost:8123`.
   * Leave it out to use the embedded chDB engine.
   * @default undefined (embedded)
   */
  url?: string;
  /**
   * Server user name.
   * @default 'default'
   */
  username?: string;
  /**
   * Server password.
   * @default ''
   */
  password?: string;
  /**
   * Database holding the traces table.
   * @default 'default'
   */
  database?: string;
  /**
   * Data directory of the embedded engine (ignored with `url`). chDB allows
   * one directory per process.
   * @default './.agenttrace/store'
   */
  path?: string;
  /**
   * Time limit of one HTTP request to the server, in milliseconds.
   * @default 30_000
   */
  requestTimeoutMs?: number;
}

/** {@link StoreOptions} with every default applied. */
export interface ResolvedStoreOptions {
  readonly kind: 'embedded' | 'server';
  readonly url: string | undefined;
  readonly username: string;
  readonly password: string;
  readonly database: string;
  readonly path: string;
  readonly requestTimeoutMs: number;
}

/** `what` phrases name the expectation in error messages. */
export function positiveInt(what = 'a positive integer') {
  return z.number({ error: what }).int({ error: what }).positive({ error: what });
}

const identifier = z
  .string({ error: 'a string' })
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'a plain identifier (letters, digits, _)' });

/** Zod shape of {@link StoreOptions}, shared with the exporter options. */
export const storeOptionsShape = {
  url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
  username: z.string({ error: 'a string' }).optional(),
  password: z.string({ error: 'a string' }).optional(),
  database: identifier.optional(),
  path: z.string({ error: 'a string' }).min(1, { error: 'a non-empty path' }).optional(),
  requestTimeoutMs: positiveInt().optional(),
};

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Parses `input` with `schema`; on failure throws an {@link InvalidOptionsError}
 * naming the field, the expectation and the value given, e.g.
 * `maxQueueSize must be a positive integer (got -1)`.
 */
export function parseOptions<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new InvalidOptionsError('options', 'options are invalid');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?';
    return fail(key, `${key} is not a known option (got ${describe(valueAt(input, [key]))})`);
  }
  const field = issue.path.map(String).join('.') || 'options';
  return fail(
    field,
    `${field} must be ${issue.message} (got ${describe(valueAt(input, issue.path))})`,
  );
}

function fail(field: string, message: string): never {
  throw new InvalidOptionsError(field, message);
}

const storeSchema = z.object(storeOptionsShape).strict();

/** Applies defaults to validated store options. */
export function resolveStoreFields(options: z.infer<typeof storeSchema>): ResolvedStoreOptions {
  return {
    kind: options.url === undefined ? 'embedded' : 'server',
    url: options.url,
    username: options.username ?? 'default',
    password: options.password ?? '',
    database: options.database ?? DEFAULT_DATABASE,
    path: options.path ?? DEFAULT_EMBEDDED_PATH,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}

/** Validates {@link StoreOptions} and applies defaults; throws {@link InvalidOptionsError}. */
export function resolveStoreOptions(options: StoreOptions = {}): ResolvedStoreOptions {
  return resolveStoreFields(parseOptions(storeSchema, options));
}
