import { type Document, isAlias, isMap, isScalar, type LineCounter, type Node } from 'yaml';

/** A place in the file, 1-based. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** The key of a map entry as text, or undefined for keys that are not scalars. */
export function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const value = key.value;
  return typeof value === 'string' ? value : value === null ? undefined : String(value);
}

/**
 * The node at `path` in `doc` (aliases followed), or the deepest node on the way to it. With
 * `key`, the node of the last key itself rather than its value; an entry without a value is
 * located at its key.
 */
export function locate(doc: Document, path: readonly string[], key = false): Node | undefined {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    let guard = 0;
    while (isAlias(node) && guard++ < 100) node = node.resolve(doc);
    if (!isMap(node)) break;
    const pair = node.items.find((p) => keyText(p.key) === path[i]);
    if (pair === undefined) break;
    const last = i === path.length - 1;
    const empty = pair.value === null || (isScalar(pair.value) && pair.value.value === null && (pair.value.source ?? '') === '');
    if ((last && key) || empty) return (pair.key as Node | null) ?? (node as Node);
    node = pair.value;
  }
  return (node as Node | null | undefined) ?? undefined;
}

/** The line and column at which `node` starts. */
export function positionOf(node: Node | undefined, lines: LineCounter): Position | undefined {
  const start = node?.range?.[0];
  if (start === undefined) return undefined;
  const { line, col } = lines.linePos(start);
  return { line, column: col };
}
