/** Where in the query text something is: 1-based line, 0-based character in the line (ARG reports both). */
export interface Position {
  line: number;
  column: number;
}

/**
 * Why a query was refused. `ParserFailure` is ARG's own code; the others name what the emulator's
 * KQL subset lacks (an operator, a function, a table) so the caller knows it is the emulator speaking.
 */
export type KqlErrorCode =
  | 'ParserFailure'
  | 'UnsupportedOperator'
  | 'UnsupportedFunction'
  | 'UnsupportedLiteral'
  | 'UnknownTable'
  | 'UnknownColumn'
  | 'InvalidArgument';

export class KqlError extends Error {
  override readonly name = 'KqlError';
  constructor(
    readonly code: KqlErrorCode,
    message: string,
    readonly position: Position,
    readonly token: string,
  ) {
    super(message);
  }
}
