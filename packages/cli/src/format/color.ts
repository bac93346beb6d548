/** Colour only on a terminal, and never when NO_COLOR is set or --no-color given. */
const CODES = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
  bold: 1,
} as const;
/** A colour name. */
export type Colour = keyof typeof CODES;

/** Paints text, or returns it as it is when colour is off. */
export type Paint = (colour: Colour, text: string) => string;

/** Builds a painter for a stream. */
export function painter(enabled: boolean): Paint {
  return enabled
    ? (colour, text) => `\u001b[${CODES[colour]}m${text}\u001b[0m`
    : (_colour, text) => text;
}

/** Whether to colour output written to `stream`. */
export function colourWanted(
  stream: { isTTY?: boolean },
  env: NodeJS.ProcessEnv,
  flag: boolean,
): boolean {
  return flag && stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

// eslint-disable-next-line no-control-regex -- matching the escape character is the point
const ANSI = /\u001b\[\d+m/g;
/** Length of text as shown, without colour codes. */
export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}
