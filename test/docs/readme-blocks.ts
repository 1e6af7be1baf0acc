// The runnable parts of a markdown document: its ```sh fenced blocks.

/** The bodies of the ```sh blocks of `markdown`, in order. */
export function readmeBlocks (markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map(m => m[1])
}

/** Every `--home DIR` the blocks name (absolute paths), once each. */
export function homesNamedIn (blocks: string[]): string[] {
  const homes = new Set<string>()
  for (const b of blocks) for (const m of b.matchAll(/--home (\/\S+)/g)) homes.add(m[1])
  return [...homes]
}
