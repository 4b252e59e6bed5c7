/** Exit codes (documented in the README). With several inputs, the highest code wins. */
export const ExitCode = {
  OK: 0,
  /** Unexpected internal failure. */
  INTERNAL: 1,
  /** Bad flags or configuration (oclif uses 2 for flag errors too). */
  USAGE: 2,
  /** An input could not be opened or is not a capture file: nothing was read from it. */
  UNREADABLE: 3,
  /** A capture is truncated or damaged: everything before the damage was analyzed and written. */
  DAMAGED: 4,
} as const
