/** "Did you mean" for mistyped commands and subcommands. */

/** Edit distance with adjacent transpositions counting as one edit (optimal string alignment). */
function distance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      const row = rows[i];
      if (row !== undefined) {
        row[j] = best;
      }
    }
  }
  return at(a.length, b.length);
}

/** The closest of `candidates` to `word` when it is close enough to be a typo; else undefined. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: { readonly name: string; readonly score: number } | undefined;
  for (const name of candidates) {
    const score = distance(word.toLowerCase(), name);
    if (best === undefined || score < best.score) {
      best = { name, score };
    }
  }
  const allowed = word.length <= 3 ? 1 : 2;
  return best !== undefined && best.score <= allowed ? best.name : undefined;
}
