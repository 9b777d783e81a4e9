/**
 * Waits for `work`, at most `ms`: resolves `true` when it fulfilled in time, `false` when the time ran out first, and
 * rejects as `work` does when it rejected in time. The timer never keeps the process alive and is cleared once either
 * side wins (internal).
 */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
