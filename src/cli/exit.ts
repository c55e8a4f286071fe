/** The exit codes of every command (also `vigil plan`'s 3, changes pending). */
export const EXIT = { ok: 0, problems: 1, usage: 2, changes: 3 } as const;
