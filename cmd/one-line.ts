/**
 * A message as one line: commander's "(Did you mean ls?)" and any other continuation lines are kept,
 * joined with spaces; nothing of a stack trace is.
 */
export function oneLine (text: string): string {
  return text.split('\n').map(l => l.trim()).filter(l => l !== '' && !/^at /.test(l))
    .map(l => l.replace(/^\(Did you mean/, '(did you mean')).join(' ')
}
