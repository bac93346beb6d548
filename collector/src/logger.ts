/**
 * The collector's structured logger. Library code logs only through an
 * injected logger (the default discards); the entry layer passes
 * {@link createJsonLineLogger} writing to stderr. Fields carry counts, codes
 * and field names, never request content.
 */

/** Structured fields of one log line. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** A structured logger. */
export interface CollectorLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const noop = () => undefined;

/** Discards everything: the default inside the library. */
export const silentLogger: CollectorLogger = { debug: noop, info: noop, warn: noop, error: noop };

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * A logger writing one JSON object a line (`{"time","level","msg",...}`) to
 * `write`, from `minLevel` up.
 *
 * @example
 * createJsonLineLogger((line) => process.stderr.write(line), 'info')
 */
export function createJsonLineLogger(
  write: (line: string) => void,
  minLevel: (typeof LEVELS)[number] = 'info',
): CollectorLogger {
  const min = LEVELS.indexOf(minLevel);
  const at =
    (level: (typeof LEVELS)[number]) =>
    (message: string, fields?: LogFields): void => {
      if (LEVELS.indexOf(level) < min) return;
      write(
        `${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...fields })}\n`,
      );
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
