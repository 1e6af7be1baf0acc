// Bundles what `ww start` runs (tools/build-cli.sh calls this): dist/cmd/start-entry.js into dist/cli/ww-start.js,
// like the esbuild command line does for the other bundles, with one substitution the command line cannot make:
// @chainsafe/libp2p-noise's crypto module (it instantiates two WASM modules when loaded) is replaced by
// dist/src/cluster/noise-crypto.js, which exports the same `defaultCrypto` from node:crypto (see that file).
// Usage: node tools/bundle-start.mjs OUTFILE BANNER
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'

const [outfile, banner] = process.argv.slice(2)
const noiseCrypto = fileURLToPath(new URL('../dist/src/cluster/noise-crypto.js', import.meta.url))
let substituted = false

const nodeNoiseCrypto = {
  name: 'node-noise-crypto',
  setup (b) {
    b.onResolve({ filter: /^\.\/crypto\/index\.js$/ }, args => {
      if (!/[\\/]@chainsafe[\\/]libp2p-noise[\\/]dist[\\/]src$/.test(args.resolveDir)) return undefined
      substituted = true
      return { path: noiseCrypto }
    })
  }
}

await build({
  entryPoints: ['dist/cmd/start-entry.js'],
  outfile,
  bundle: true,
  minifyWhitespace: true,
  minifySyntax: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  logLevel: 'warning',
  // Only the transform worker loads the transform and binaryen, on the first transform (build-cli.sh checks).
  external: ['binaryen', './transform.js'],
  banner: { js: banner },
  plugins: [nodeNoiseCrypto]
})
if (!substituted) {
  console.error('bundle-start: @chainsafe/libp2p-noise no longer imports ./crypto/index.js: see tools/bundle-start.mjs')
  process.exit(1)
}
