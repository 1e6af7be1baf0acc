// The scenario names the C++ client (cpp/client.c++) runs; the TypeScript client runs the same set.
export const scenarioNames = [
  'bootstrap',
  'primitives',
  'cap-in-params',
  'cap-in-results',
  'cap-in-struct-fields',
  'callback',
  'pipeline',
  'tail-call',
  'echo-own',
  'promise-resolve',
  'promise-broken',
  'later-echo',
  'release',
  'release-reverse',
  'exceptions',
  'cancel',
  'calls-10k',
  'stream',
  'bulk',
  'shared-refs',
  'many-caps'
] as const

export type ScenarioName = typeof scenarioNames[number]
