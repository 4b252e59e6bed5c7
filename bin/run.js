#!/usr/bin/env node
// oclif checks the running Node against its own engines (>=18) with semver, ~50 modules on every
// run; pbx needs >=20 (package.json engines), checked here by major version instead.
if (Number(process.versions.node.split('.')[0]) < 20) {
  process.emitWarning(`Node version must be >=20 to use this CLI. Current node version: ${process.versions.node}`)
}
const ownSwitch = process.env.OCLIF_DISABLE_ENGINE_WARNING === undefined
if (ownSwitch) process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
const {execute, settings} = await import('@oclif/core')
if (ownSwitch) delete process.env.OCLIF_DISABLE_ENGINE_WARNING

// Always run the compiled commands in dist/, whatever NODE_ENV says (bin/dev.js runs the sources).
settings.enableAutoTranspile = false
await execute({dir: import.meta.url})
