// CRIU log lines that appear on every run on some machines and mean nothing is wrong.
// Shared by doctor and by log analysis, so neither reports them as a cause.

const harmless: readonly RegExp[] = [
  // root without CAP_SYS_RESOURCE in its bounding set (containers, some VMs): logged on success too.
  /rlimit: Can't setup RLIMIT_NOFILE for self/,
  /Can't keep kdat cache on non-tempfs/,
];

/** True for a line known to be harmless noise. */
export function isHarmlessCriuLine(line: string): boolean {
  return harmless.some((re) => re.test(line));
}
