/**
 * The basic span and event name check: one safe label, or a known verb and
 * one safe label. The OTTL translation mirrors exactly this; span names get
 * the wider check of `span-name.ts` on top.
 */
import * as C from '../conventions.js';
import { isSafeLabel, LABEL_PATTERN } from './sensitive.js';

/** First words a two-word name may start with: operations, step types, HTTP methods. */
export const NAME_VERBS: ReadonlySet<string> = new Set([
  ...C.OPERATION_NAMES,
  ...C.STEP_TYPES,
  C.SPAN_NAME_FEEDBACK,
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
]);

/**
 * True for a span or event name that is one safe label (`ai.generateText`),
 * or a known verb and one safe label (`chat gpt-4o`, `execute_tool lookup`).
 * Any other words could be a person's name or a sentence. Span names get
 * `isSafeSpanName`, which also knows paths (`POST /v1/chat/completions`).
 */
export function isSafeName(name: string): boolean {
  if (acceptedNames.has(name)) return true;
  if (name.length === 0 || name.length > 128) return false;
  const space = name.indexOf(' ');
  const safe =
    space === -1
      ? isSafeLabel(name, LABEL_PATTERN)
      : NAME_VERBS.has(name.slice(0, space)) && isSafeLabel(name.slice(space + 1), LABEL_PATTERN);
  if (safe) {
    if (acceptedNames.size >= ACCEPTED_NAMES_MAX) acceptedNames.clear();
    acceptedNames.add(name);
  }
  return safe;
}

/** Names accepted before: span names repeat, and checking one costs a few regexes. */
const acceptedNames = new Set<string>();
const ACCEPTED_NAMES_MAX = 4096;
