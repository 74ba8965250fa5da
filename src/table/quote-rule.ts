/**
 * When a double quote opens a quoted value: only at the start of a field,
 * that is at the start of a row, after a comma or a line break, or right
 * after another quote (`""` toggles twice). A stray quote inside a value
 * (`bob 5'10",1`) opens nothing, so it cannot carry a row onto the next line.
 * The streaming reader and predict-batch's shard scan both follow this rule.
 *
 * `before`: the byte before the quote, or -1 at the start of the row or file.
 */
export function opensQuotedValue(before: number): boolean {
  return before === -1 || before === 0x2c || before === 0x0a || before === 0x22;
}
