// Every error code cryo can report, in one place, each with what it means and what to do.
// docs/errors.md documents the same list; src/errors/codes.test.ts fails when the two drift.
// Add codes only inside the section of your concern, keep them stable: scripts match on them.

/** One entry of the catalogue: a one-line meaning and the default advice shown to the user. */
export interface CodeInfo {
  readonly summary: string;
  readonly action: string;
}

export const codes = {
  // --- configuration and environment ---
  CRYO_INVALID_OPTION: { summary: 'an option has an invalid value', action: 'fix the option named in the message' },
  CRYO_CRIU_NOT_FOUND: {
    summary: 'no CRIU binary was found',
    action: 'run ./scripts/setup.sh, or point CRYO_CRIU at a CRIU >= 4.2 binary',
  },
  CRYO_CRIU_BROKEN: {
    summary: 'the CRIU binary does not run or fails its self-check',
    action: 'run `cryo doctor` to see why; re-run ./scripts/setup.sh or set CRYO_CRIU to a working CRIU',
  },
  CRYO_NOT_PRIVILEGED: {
    summary: 'checkpoint/restore needs root or CAP_CHECKPOINT_RESTORE + CAP_SYS_PTRACE',
    action: 'run cryo as root (or with those capabilities)',
  },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof codes;
