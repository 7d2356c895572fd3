// The one rule for names inside a checkpoint (on disk, in a manifest, in an archive): relative,
// `/`-separated, no `.`/`..`/empty parts, printable, bounded. Archives from elsewhere are hostile.

/** Why a relative path is unsafe, or undefined when it is fine. */
export function unsafePathReason(p: string): string | undefined {
  if (p.length === 0) return 'empty name';
  if (p.length > 1024) return 'name longer than 1024 characters';
  if (p.startsWith('/')) return 'absolute path';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\0-\x1f\x7f\\]/.test(p)) return 'control character or backslash in name';
  const parts = p.split('/');
  if (parts.some((s) => s === '..')) return 'path goes up with ".."';
  if (parts.some((s) => s === '' || s === '.')) return 'empty or "." path component';
  return undefined;
}
