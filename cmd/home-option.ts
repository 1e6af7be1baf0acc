import { Option } from 'commander'

/** `--home DIR` on every command; the default is $WW_HOME, else ~/.ww. */
export const homeOption = (): Option =>
  new Option('--home <dir>', 'the node\'s home directory (default: $WW_HOME, else ~/.ww)')

/** Collects a repeated option into a list. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value]
