/**
 * Query filters, validated once with zod: every error names the field, what
 * was expected and what was given. Used by the CLI and the collector's API.
 */
import { z } from 'zod';

const RUN_STATUSES = ['success', 'failure', 'partial'] as const;
const FAILURE_TYPES = ['tool', 'model', 'retrieval', 'orchestration'] as const;
const DURATION = /^(\d+)(s|m|h|d|w)$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };
const label = z
  .string()
  .regex(/^[A-Za-z0-9_@][A-Za-z0-9_.:/@-]{0,127}$/, 'a label of letters, digits and _.:/@-');

/** Earliest time the store's `DateTime64` columns hold: 1900-01-01T00:00:00Z. */
export const EARLIEST_TIME_MS = Date.UTC(1900, 0, 1);
/**
 * Latest time every column a filter is compared with holds: span times are
 * `DateTime64(9)`, whose range ends at 2262-04-11T23:47:16.854775807Z (a
 * later bound overflows in the engine, a 5xx for bad input).
 */
export const LATEST_TIME_MS = Date.UTC(2262, 3, 11, 23, 47, 16, 854);
/** What a `since`/`until` must be, for messages. */
export const SINCE_EXPECTED =
  'a duration like 30m, 24h, 7d or an ISO date from 1900-01-01 to 2262-04-11T23:47:16Z';

/**
 * Turns `15m`, `24h`, `7d` or an ISO date into a Date; `undefined` when
 * `value` is neither, or names a time the store cannot hold.
 */
export function parseSince(value: string, now = Date.now()): Date | undefined {
  const d = DURATION.exec(value);
  const t = d ? now - Number(d[1]) * UNIT_SECONDS[d[2]!]! * 1000 : Date.parse(value);
  return Number.isFinite(t) && t >= EARLIEST_TIME_MS && t <= LATEST_TIME_MS
    ? new Date(t)
    : undefined;
}

const since = z.string().transform((v, ctx) => {
  const date = parseSince(v);
  if (!date) ctx.addIssue({ code: 'custom', message: SINCE_EXPECTED });
  return date ?? new Date(0);
});

/** Filters of `listRuns`. */
export const runFiltersSchema = z.object({
  agent: label.optional(),
  version: label.optional(),
  variant: label.optional(),
  status: z.enum(RUN_STATUSES).optional(),
  failureType: z.enum(FAILURE_TYPES).optional(),
  since: since.optional(),
  until: since.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
/** Run filters as given by a user (strings allowed for numbers and times). */
export type RunFiltersInput = z.input<typeof runFiltersSchema>;
/** Resolved run filters. */
export type RunFilters = z.output<typeof runFiltersSchema>;

/** Dimensions `getStats` can group by. */
export const STATS_DIMENSIONS = ['agent', 'version', 'variant', 'model', 'provider'] as const;
/** A stats dimension. */
export type StatsDimension = (typeof STATS_DIMENSIONS)[number];

/** Filters of `getStats`. */
export const statsFiltersSchema = z.object({
  by: z.enum(STATS_DIMENSIONS).default('agent'),
  agent: label.optional(),
  since: since.optional(),
  until: since.optional(),
});
/** Stats filters as given by a user. */
export type StatsFiltersInput = z.input<typeof statsFiltersSchema>;

/** Thrown for invalid filters; `message` names each bad field. */
export class InvalidQueryError extends Error {
  override readonly name = 'InvalidQueryError';
  readonly code = 'INVALID_QUERY';
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Parses `input` with `schema` or throws an `InvalidQueryError` naming each field. */
export function parseFilters<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const given = (input ?? {}) as Record<string, unknown>;
  const parts = result.error.issues.map((issue) => {
    const field = issue.path.join('.');
    return `${field} must be ${issue.message.replace(/^Invalid (input|option): expected /, '')} (got ${describe(given[field])})`;
  });
  throw new InvalidQueryError(parts.join('; '));
}
