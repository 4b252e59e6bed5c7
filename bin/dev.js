#!/usr/bin/env -S node --import tsx --no-warnings
// Runs the TypeScript sources directly (no build step), for development. oclif would otherwise
// take the commands from oclif.manifest.json, which names the bundled files in dist, so the plugins
// are loaded here with the manifest of pbx ignored: its commands are found and loaded in src/commands.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {execute, Plugin} from '@oclif/core'

process.env.NODE_ENV = 'development'
const root = fileURLToPath(new URL('..', import.meta.url))
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const plugins = new Map()
for (const options of [{root, isRoot: true, ignoreManifest: true}, ...pjson.oclif.plugins.map((name) => ({name, root, type: 'core'}))]) {
  const plugin = new Plugin(options)
  await plugin.load()
  plugins.set(plugin.name, plugin)
}
await execute({development: true, loadOptions: {root, plugins}})
