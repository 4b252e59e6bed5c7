/**
 * Bundles the compiled CLI (`npm run build`, after tsc): every oclif command in dist/commands and the
 * oclif runtime bin/run.js starts become a few ESM files, so a run loads ~40 files instead of ~350
 * (pbx's ~250 modules plus oclif's ~100). Input is tsc's output (the code that runs is the code tsc
 * wrote), output replaces dist/commands/** in place and adds:
 *   dist/cli.js        execute and settings of the bundled oclif, what bin/run.js imports
 *   dist/chunks/worker.js  the --workers thread script (beside the chunk that starts it)
 *   dist/chunks/*.js   code shared by several entries (one copy of oclif, pbx's stages), with
 *                      source maps chained through tsc's maps back to src/*.ts
 * Commands and bin/run.js must share one copy of oclif (ExitError is recognised with instanceof).
 * Dynamic imports stay lazy (each becomes its own chunk). Packages loaded at run time with
 * createRequire (yaml, tldts, outputs' clients, the libpcap addon) are not bundled: esbuild does not
 * follow createRequire, so they still load from node_modules when used.
 *
 * dist/index.js (the library entry) and the rest of dist/ stay as tsc wrote them.
 */
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {build} from 'esbuild'

const root = path.resolve(import.meta.dirname, '..')
const dist = path.join(root, 'dist')

function commandFiles(dir: string): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...commandFiles(p))
    else if (e.name.endsWith('.js')) out.push(p)
  }
  return out.sort()
}

const commands = commandFiles(path.join(dist, 'commands'))
const OCLIF_ENTRY = 'pbx:oclif-entry'

const result = await build({
  absWorkingDir: root,
  entryPoints: [
    ...commands.map((file) => ({in: file, out: path.relative(dist, file).replace(/\.js$/, '')})),
    {in: OCLIF_ENTRY, out: 'cli'},
    // The --workers thread script: src/run/parallel.ts starts it as ./worker.js next to itself,
    // and parallel.ts lands in a chunk (checked below).
    {in: path.join(dist, 'run', 'worker.js'), out: 'chunks/worker'},
  ],
  outdir: dist,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  // oclif loads typescript/ts-node/tsx only in development mode (bin/dev.js, which runs the sources).
  external: ['typescript', 'ts-node', 'tsx'],
  // oclif is CommonJS: its run-time require() of plugins, its __dirname, in an ESM file.
  banner: {
    js: [
      "import {createRequire as __pbxCreateRequire} from 'node:module'",
      "import {dirname as __pbxDirname} from 'node:path'",
      "import {fileURLToPath as __pbxFileURLToPath} from 'node:url'",
      'const require = __pbxCreateRequire(import.meta.url)',
      'const __filename = __pbxFileURLToPath(import.meta.url)',
      'const __dirname = __pbxDirname(__filename)',
    ].join('\n'),
  },
  plugins: [
    {
      name: 'oclif-entry',
      setup(b) {
        b.onResolve({filter: /^pbx:oclif-entry$/}, (args) => ({path: args.path, namespace: 'pbx'}))
        b.onLoad({filter: /.*/, namespace: 'pbx'}, () => ({
          contents: "export {execute, settings} from '@oclif/core'",
          resolveDir: root,
          loader: 'js',
        }))
      },
    },
  ],
  metafile: true,
  logLevel: 'warning',
})

// The libpcap addon is found relative to the module that loads it (src/capture/live.ts: one
// folder below src/ or dist/); keep that module at that depth.
for (const [out, info] of Object.entries(result.metafile.outputs)) {
  if (Object.keys(info.inputs).some((i) => i.endsWith('dist/capture/live.js')) && out.split('/').length !== 3) {
    throw new Error(`build-cli: dist/capture/live.js was bundled into ${out}; it must sit one folder below dist/`)
  }
  if (Object.keys(info.inputs).some((i) => i.endsWith('dist/run/parallel.js')) && !out.startsWith('dist/chunks/')) {
    throw new Error(`build-cli: dist/run/parallel.js was bundled into ${out}; it must sit in dist/chunks/ beside chunks/worker.js`)
  }
}
