/** Edit distance (insertions, deletions, substitutions, transpositions of neighbours) between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] as number;
}

const normal = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, '');

/**
 * The candidate `word` most likely meant, or undefined when none is close: the nearest by edit
 * distance (ignoring case, `-` and `_`) within a third of its length (at least 2), or one that
 * contains the other.
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = normal(word);
  if (w.length > 200) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const c = normal(name);
    const distance = editDistance(w, c);
    const limit = Math.max(2, Math.floor(c.length / 3));
    const near = distance <= limit || (w.length >= 4 && (c.includes(w) || w.includes(c)));
    if (near && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
