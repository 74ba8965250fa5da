/** `a, b,c` -> ['a', 'b', 'c']: how feature lists are stored (registry tag, ONNX metadata); undefined when empty. */
export function parseNameList(text: string | null | undefined): string[] | undefined {
  const names = (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length ? names : undefined;
}
