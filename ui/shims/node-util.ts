// node:util for the browser bundle (esbuild --alias): src/log.ts formats only when DEBUG is on, which it never is here.
export function formatWithOptions (_options: unknown, format: string, ...args: unknown[]): string {
  return [format, ...args.map(a => String(a))].join(' ')
}
