/**
 * Resolves or rejects as `p` does, or rejects with `onTimeout()` after `ms` milliseconds
 * (0 = never). The work behind `p` cannot be cancelled: its late answer is ignored, and a
 * late rejection is swallowed so it never surfaces as an unhandled rejection.
 */
export async function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (!ms) return p;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  p.catch(() => {});
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
