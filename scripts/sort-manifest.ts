/**
 * Rewrites oclif.manifest.json with its commands in sorted order. `oclif manifest` lists them in the
 * order its asynchronous directory walk finishes, which differs between runs and machines, so every
 * build left the committed manifest modified. Sorted, a build of unchanged commands changes nothing.
 */
import {readFileSync, writeFileSync} from 'node:fs'

const path = new URL('../oclif.manifest.json', import.meta.url)
const manifest = JSON.parse(readFileSync(path, 'utf8')) as {commands: Record<string, unknown>}
const sorted: Record<string, unknown> = {}
for (const id of Object.keys(manifest.commands).sort()) sorted[id] = manifest.commands[id]
manifest.commands = sorted
writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`)
