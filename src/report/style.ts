/** Terminal styling that renderers receive as data, so they stay pure. */
export interface RenderOptions {
  color: boolean;
  /**
   * stdout is a terminal: tables are cli-table3 boxes. false (a pipe, a CI log): aligned plain
   * columns, as kubectl and gh print, so logs and grep stay readable. Absent: boxes.
   */
  terminal?: boolean;
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, dim: 2, bold: 1 } as const;
export type Style = keyof typeof CODES;

export function paint(options: RenderOptions, style: Style, text: string): string {
  return options.color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}

/** Colour follows NO_COLOR (https://no-color.org) and whether the stream is a terminal. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}
