/** Model and alias names, and model references (`name`, `name@3`, `name@production`). */
import { MlopsError } from '../util/errors.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MAX = 64;

/** What is wrong with a name, in a few words; null when it is valid. */
function nameProblem(name: string): string | null {
  if (name === '') return 'it is empty';
  const bad = [...new Set(name.replace(/[a-zA-Z0-9._-]/g, ''))];
  if (bad.length) return `${bad.map((c) => `"${c}"`).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not allowed`;
  if (/[A-Z]/.test(name)) return `uppercase letters are not allowed (use "${name.toLowerCase()}")`;
  if (!/^[a-z0-9]/.test(name)) return 'it must start with a letter or digit';
  if (name.includes('..')) return '".." is not allowed';
  if (name.length > MAX) return `${name.length} characters, at most ${MAX}`;
  return NAME.test(name) ? null : 'not a valid name';
}

/** Lowercase letters, digits, `.`, `_`, `-`; at most 64; no path can be formed from it. */
export function validateName(name: string, what: 'model' | 'alias' = 'model'): string {
  const problem = nameProblem(name);
  if (problem) {
    const shown = name.length > 80 ? `${name.slice(0, 77)}...` : name;
    throw new MlopsError('REGISTRY_BAD_NAME', `invalid ${what} name "${shown}": ${problem}`, {
      hint: `${what} names use lowercase letters, digits, ".", "_" and "-" (at most ${MAX} characters, starting with a letter or digit, no "..")`,
    });
  }
  if (what === 'alias' && /^\d+$/.test(name)) {
    throw new MlopsError(
      'REGISTRY_BAD_NAME',
      `invalid alias name "${name}": an alias cannot be a number (name@3 means version 3)`,
    );
  }
  return name;
}

/**
 * A name for a new model: valid, and usable in a reference. `x.onnx@1` reads
 * as a file path everywhere a model is taken (see looksLikeRef), so such a
 * model could be registered but never referenced. Existing models keep
 * whatever name they have.
 */
export function validateNewModelName(name: string): string {
  validateName(name);
  if (name.endsWith('.onnx')) {
    const stem = name.slice(0, -'.onnx'.length);
    throw new MlopsError(
      'REGISTRY_BAD_NAME',
      `invalid model name "${name}": a name ending in ".onnx" reads as a file path (${name}@1 would be a file)`,
      {
        hint: stem
          ? `drop the extension: mlops registry register ${stem} <file.onnx>`
          : 'choose a name without the ".onnx" extension',
      },
    );
  }
  return name;
}

export type ModelSelector =
  | { kind: 'latest' }
  | { kind: 'version'; version: number }
  | { kind: 'alias'; alias: string };

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
  return (
    NAME.test(name) &&
    !name.includes('..') &&
    (rest === undefined || /^[a-z0-9][a-z0-9._-]{0,63}$/.test(rest)) &&
    !/\.onnx$/.test(name)
  );
}
