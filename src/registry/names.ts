/** Model and alias names, and model references (`name`, `name@3`, `name@production`). */
import { MlopsError } from '../util/errors.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Lowercase letters, digits, `.`, `_`, `-`; at most 64; no path can be formed from it. */
export function validateName(name: string, what: 'model' | 'alias' = 'model'): string {
  if (!NAME.test(name) || name.includes('..')) {
    throw new MlopsError('REGISTRY_BAD_NAME', `invalid ${what} name "${name}"`, {
      hint: `${what} names use lowercase letters, digits, ".", "_" and "-" (at most 64 characters, starting with a letter or digit, no "..")`,
    });
  }
  if (what === 'alias' && /^\d+$/.test(name)) {
    throw new MlopsError('REGISTRY_BAD_NAME', `invalid alias name "${name}": an alias cannot be a number (name@3 means version 3)`);
  }
  return name;
}

export type ModelSelector = { kind: 'latest' } | { kind: 'version'; version: number } | { kind: 'alias'; alias: string };

export interface ParsedRef {
  name: string;
  selector: ModelSelector;
}

export function parseRef(ref: string): ParsedRef {
  const at = ref.indexOf('@');
  const name = validateName(at < 0 ? ref : ref.slice(0, at));
  if (at < 0) return { name, selector: { kind: 'latest' } };
  const rest = ref.slice(at + 1);
  if (/^\d+$/.test(rest)) {
    const version = Number(rest);
    if (version < 1) throw new MlopsError('REGISTRY_BAD_REF', `invalid version in "${ref}": versions start at 1`);
    return { name, selector: { kind: 'version', version } };
  }
  return { name, selector: { kind: 'alias', alias: validateName(rest, 'alias') } };
}

/** Could this string be a registry reference rather than a file path? */
export function looksLikeRef(text: string): boolean {
  const [name, rest] = text.split('@', 2);
  return NAME.test(name) && !name.includes('..') && (rest === undefined || /^[a-z0-9][a-z0-9._-]{0,63}$/.test(rest)) && !/\.onnx$/.test(name);
}
