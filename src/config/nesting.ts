/** Deepest nesting of mappings and lists a configuration file may have. */
export const MAX_NESTING = 64;

interface CstNode {
  readonly offset?: number;
  readonly value?: unknown;
  readonly items?: readonly { readonly key?: unknown; readonly value?: unknown }[];
}

/**
 * The offset of the first node nested deeper than `limit` in the tokens of yaml's `Parser`, or
 * undefined. The parser builds its syntax tree without recursion, but composing a document from
 * it recurses once per level — so a file of `[[[[…` (a megabyte holds half a million levels) must
 * be refused before it is composed. The tree is walked with an explicit stack.
 */
export function tooDeepTokens(tokens: Iterable<unknown>, limit: number = MAX_NESTING): number | undefined {
  for (const token of tokens) {
    const stack: [CstNode, number][] = [[token as CstNode, 0]];
    for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
      const [node, depth] = entry;
      if (depth > limit) return node.offset ?? 0;
      const push = (child: unknown): void => {
        if (typeof child === 'object' && child !== null) stack.push([child as CstNode, depth + 1]);
      };
      push(node.value);
      for (const item of node.items ?? []) {
        push(item.key);
        push(item.value);
      }
    }
  }
  return undefined;
}
