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
  /**
   * An output could not be written or lost events: disk full, a closed standard output, a server
   * that rejected documents. Everything that could be written was; the message names the output.
   */
  OUTPUT: 5,
  /** Stopped by SIGINT (Ctrl-C) after flushing everything in flight: 128 + 2. */
  SIGINT: 130,
  /** Stopped by SIGTERM after flushing everything in flight: 128 + 15. */
  SIGTERM: 143,
} as const
