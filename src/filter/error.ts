/**
 * FilterError: an expression that pbx cannot compile. `offset` is the 0-based index in the
 * expression of the token the problem was found at (the expression's length when the problem is
 * that it ended too early); `column` is the same position 1-based, for messages.
 */
export class FilterError extends Error {
  readonly column: number

  constructor(
    readonly reason: string,
    readonly expression: string,
    readonly offset: number,
  ) {
    super(`${reason} (at column ${offset + 1})`)
    this.name = 'FilterError'
    this.column = offset + 1
  }

  /** The CLI's message: the reason, then the expression with a caret under the offending column. */
  format(prefix = 'pbx: bad --filter: '): string {
    // Tabs and newlines print as spaces so that the caret stays under the column.
    return `${prefix}${this.reason}\n  ${this.expression.replace(/\s/g, ' ')}\n  ${' '.repeat(this.offset)}^`
  }
}
