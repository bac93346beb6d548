/**
 * Span names of HTTP and database client spans, and the check the allowlist
 * runs on every span name. An HTTP span is named by its method and route
 * template or path; a database span by its operation and collection. Each
 * part is checked on its own: a path segment that looks like an id, a
 * number, an e-mail address or a random token becomes `{id}`, a query
 * string is never kept, and a part that is not safe is left out.
 */
import type { Attributes } from '@opentelemetry/api';
import * as C from '../conventions.js';
import { isSafeName } from './safe-name.js';
import { isSafeModelName } from './model-name.js';
import { isSafeLabel, looksSensitive } from './sensitive.js';

/** HTTP methods a name may start with. */
export const HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'CONNECT',
  'TRACE',
]);

const SQL_OPERATIONS = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'UPSERT',
  'MERGE',
  'REPLACE',
  'CREATE',
  'DROP',
  'ALTER',
  'TRUNCATE',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'CALL',
  'EXEC',
  'EXECUTE',
  'WITH',
  'SHOW',
  'COPY',
];
/** MongoDB, Redis and vector-store operations as instrumentations spell them. */
const OTHER_DB_OPERATIONS = [
  'find',
  'findOne',
  'findOneAndUpdate',
  'findOneAndDelete',
  'findOneAndReplace',
  'insert',
  'insertOne',
  'insertMany',
  'update',
  'updateOne',
  'updateMany',
  'delete',
  'deleteOne',
  'deleteMany',
  'replaceOne',
  'aggregate',
  'count',
  'countDocuments',
  'distinct',
  'bulkWrite',
  'getMore',
  'query',
  'upsert',
  'search',
  'get',
  'set',
  'del',
  'GET',
  'SET',
  'DEL',
  'MGET',
  'MSET',
  'HGET',
  'HSET',
  'HGETALL',
  'EXPIRE',
  'INCR',
  'LPUSH',
  'RPUSH',
  'LRANGE',
  'ZADD',
  'ZRANGE',
  'PUBLISH',
];
/** Database operations a derived name may start with. */
export const DB_OPERATIONS: ReadonlySet<string> = new Set([
  ...SQL_OPERATIONS,
  ...OTHER_DB_OPERATIONS,
]);
const SQL_SET: ReadonlySet<string> = new Set(SQL_OPERATIONS);

/** Longest path kept in a name, and most segments. */
const MAX_PATH_LENGTH = 128;
const MAX_SEGMENTS = 12;
/** What an unsafe path segment becomes. */
export const ID_SEGMENT = '{id}';

const WORD_SEGMENT = /^[A-Za-z][A-Za-z0-9_.~:-]{0,63}$/;
const TEMPLATE_SEGMENT = /^(?:\{[A-Za-z_][A-Za-z0-9_]{0,31}\}|:[A-Za-z_][A-Za-z0-9_]{0,31}|\*)$/;
const HEX_ID = /^[0-9a-f]{8,}$/i;
const COLLECTION = /^[A-Za-z_][A-Za-z0-9_$.-]{0,63}$/;

/**
 * True for a path segment (or collection name part) that may be stored: it
 * starts with a letter, has few digits (at most four; two or more only in
 * a segment three times as long),
 * is no hex id, no long unbroken token and nothing the sensitive-value
 * detectors catch. `v1`, `chat`, `gpt-4o`, `gemini-2.5-pro:generateContent`
 * pass; `42`, `a1b2c3d4`, `jane@example.com`, `xK9fLm2QpR7sT4vW` do not.
 */
export function isSafeSegment(segment: string): boolean {
  if (!WORD_SEGMENT.test(segment) || HEX_ID.test(segment)) return false;
  const digits = segment.replace(/\D/g, '').length;
  if (digits > 4 || (digits >= 2 && digits * 3 > segment.length)) return false;
  const unbroken = segment.split(/[-_.~:]/).reduce((m, part) => Math.max(m, part.length), 0);
  if (unbroken >= 20 || (unbroken >= 16 && digits > 0)) return false;
  return !looksSensitive(segment);
}

/**
 * The safe form of a path or URL: no scheme, host, query or fragment, each
 * unsafe segment replaced by `{id}`; `undefined` when it is not a path or is
 * too long. Route templates (`/users/{id}`, `/users/:id`) pass unchanged.
 *
 * @example
 * safePath('/v1/users/42/orders?email=jane@example.com') // '/v1/users/{id}/orders'
 */
export function safePath(raw: string): string | undefined {
  let path = raw;
  if (path.includes('://')) {
    try {
      path = new URL(path).pathname;
    } catch {
      return undefined;
    }
  }
  path = path.split(/[?#]/, 1)[0] ?? '';
  if (!path.startsWith('/')) return undefined;
  if (path === '/') return path;
  const segments = path.slice(1).split('/');
  if (segments.length > MAX_SEGMENTS) return undefined;
  const out = segments.map((s, i) =>
    s === '' && i === segments.length - 1
      ? ''
      : TEMPLATE_SEGMENT.test(s) || isSafeSegment(s)
        ? s
        : ID_SEGMENT,
  );
  const result = `/${out.join('/')}`;
  return result.length <= MAX_PATH_LENGTH ? result : undefined;
}

/** True for a collection or table name (`users`, `public.orders`) that may be stored. */
export function isSafeCollection(name: string): boolean {
  return (
    COLLECTION.test(name) && name.split('.').every((part) => part === '' || isSafeSegment(part))
  );
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * `METHOD /route` for an HTTP span, from `http.route` or `url.template`, else
 * the path of the name, `url.path`, `http.target`, `url.full` or `http.url`
 * (made safe by {@link safePath}); just `METHOD` when no path is safe;
 * `undefined` when the span has no known method.
 */
export function httpSpanName(name: string, attributes: Attributes): string | undefined {
  const [first, second] = name.split(' ', 3);
  const raw = str(attributes['http.request.method']) ?? str(attributes['http.method']) ?? first;
  const method = raw?.toUpperCase();
  if (method === undefined || !HTTP_METHODS.has(method)) return undefined;
  const candidates = [
    attributes['http.route'],
    attributes['url.template'],
    second,
    attributes['url.path'],
    attributes['http.target'],
    attributes['url.full'],
    attributes['http.url'],
  ];
  for (const c of candidates) {
    if (typeof c !== 'string' || c.length > 2048) continue;
    const path = safePath(c);
    if (path !== undefined) return `${method} ${path}`;
  }
  return method;
}

/** A known operation in its canonical spelling (SQL upper case), or `undefined`. */
function dbOperation(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const word = raw.trim().split(/[\s(;]/, 1)[0] ?? '';
  const upper = word.toUpperCase();
  if (SQL_SET.has(upper)) return upper;
  return DB_OPERATIONS.has(word) ? word : undefined;
}

const DB_MARKERS = ['db.system', 'db.system.name', 'db.operation.name', 'db.operation'];

/**
 * `OPERATION collection` for a database span, from `db.operation.name` (or
 * the old `db.operation`, else the first keyword of the query text or of
 * the name, as `pg.query:SELECT`) and `db.collection.name` (or
 * `db.sql.table`, `db.mongodb.collection`); just `OPERATION` when the
 * collection is not safe; `undefined` when it is no database span or no
 * known operation is found. Only the leading keyword of a query is read.
 */
export function dbSpanName(name: string, attributes: Attributes): string | undefined {
  if (!DB_MARKERS.some((k) => attributes[k] !== undefined)) return undefined;
  const fromName = name.startsWith('pg.query:') ? name.slice('pg.query:'.length) : name;
  const op =
    dbOperation(str(attributes['db.operation.name'])) ??
    dbOperation(str(attributes['db.operation'])) ??
    dbOperation(str(attributes['db.query.text'])) ??
    dbOperation(str(attributes['db.statement'])) ??
    dbOperation(fromName);
  if (op === undefined) return undefined;
  const collection =
    str(attributes['db.collection.name']) ??
    str(attributes['db.sql.table']) ??
    str(attributes['db.mongodb.collection']);
  return collection !== undefined && isSafeCollection(collection) ? `${op} ${collection}` : op;
}

const GEN_AI_VERBS: ReadonlySet<string> = new Set(C.OPERATION_NAMES);

/**
 * True for a span name the allowlist keeps: what `isSafeName` accepts (an
 * HTTP method followed by a path only if the path is already safe), a GenAI
 * operation and a model name with a snapshot date (`chat
 * claude-sonnet-4-5-20250929`), or a database operation and a safe
 * collection (`SELECT users`).
 */
export function isSafeSpanName(name: string): boolean {
  return acceptedNames.has(name) || checkSpanName(name);
}

function checkSpanName(name: string): boolean {
  if (name.length === 0 || name.length > 160) return false;
  const space = name.indexOf(' ');
  const verb = space === -1 ? name : name.slice(0, space);
  const rest = name.slice(space + 1);
  let safe: boolean;
  const second = space === -1 ? -1 : name.indexOf(' ', space + 1);
  if (second !== -1 && verb === C.OPERATION.executeTool)
    // a handoff: `execute_tool {tool} {target agent}` (GenAI transfer refinement), two labels
    safe =
      name.indexOf(' ', second + 1) === -1 &&
      isSafeLabel(name.slice(space + 1, second)) &&
      isSafeLabel(name.slice(second + 1));
  else if (space === -1 || second !== -1) safe = isSafeName(name);
  else if (HTTP_METHODS.has(verb) && rest.includes('/')) safe = safePath(rest) === rest;
  else if (GEN_AI_VERBS.has(verb) && isSafeModelName(rest)) safe = true;
  else if (DB_OPERATIONS.has(verb) && isSafeCollection(rest)) safe = true;
  else safe = isSafeName(name);
  if (safe) {
    if (acceptedNames.size >= ACCEPTED_NAMES_MAX) acceptedNames.clear();
    acceptedNames.add(name);
  }
  return safe;
}

/** Names accepted before: span names repeat. */
const acceptedNames = new Set<string>();
const ACCEPTED_NAMES_MAX = 4096;
