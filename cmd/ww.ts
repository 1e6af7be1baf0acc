import { runWw } from './program.js'

await runWw(process.argv.slice(2))
