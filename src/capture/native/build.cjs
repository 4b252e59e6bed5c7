#!/usr/bin/env node
/**
 * Builds pbx's libpcap binding (pcap_binding.c -> build/Release/pbx_pcap.node) with node-gyp.
 * `npm run build:native` runs it; so does `npm ci` / `npm install` (the root package's install script).
 *
 * Never fails the install: without libpcap's headers (libpcap-dev) or a C compiler it prints one
 * line saying so and exits 0, and everything except `pbx live` works. With --strict (what
 * `npm run build:native` passes) a failed build exits 1 and shows the compiler's output.
 *
 * node-gyp: the one npm runs lifecycle scripts with (npm_config_node_gyp), else npm's bundled one.
 * Node's headers: npm's nodedir when configured; else /usr/include/node when it holds node_api.h
 * (distribution builds of Node); else node-gyp's own default.
 */
const {spawnSync} = require('node:child_process')
const {existsSync} = require('node:fs')
const path = require('node:path')

const here = __dirname
const strict = process.argv.includes('--strict')

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ]
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'))
  } catch {
    // not installed as a package here
  }
  return candidates.find((c) => c && existsSync(c))
}

function fail(why, detail) {
  if (strict) {
    if (detail) process.stderr.write(`${detail.trimEnd()}\n`)
    process.stderr.write(`pbx: the libpcap binding was not built: ${why}\n`)
    process.exit(1)
  }
  console.log(`pbx: libpcap binding not built (${why}); \`pbx live\` needs it: install libpcap-dev (and a C compiler), then run \`npm run build:native\``)
  process.exit(0)
}

const gyp = nodeGyp()
if (gyp === undefined) fail('node-gyp not found')
const args = [gyp, 'rebuild']
const nodedir = process.env.npm_config_nodedir
if (!nodedir && existsSync('/usr/include/node/node_api.h') && existsSync('/usr/include/node/common.gypi')) args.push('--nodedir=/usr')
const r = spawnSync(process.execPath, args, {cwd: here, encoding: 'utf8', timeout: 300_000})
if (r.error) fail(r.error.message)
if (r.status !== 0) {
  const out = `${r.stdout}\n${r.stderr}`
  const line = out.split('\n').find((l) => /pcap\.h|fatal error|error:|not found/i.test(l) && !/^gyp (info|ERR! (stack|cwd|node|System|command|not ok))/.test(l))
  fail(line ? line.trim().slice(0, 200) : `node-gyp exited with ${r.status}`, out)
}
console.log(`pbx: libpcap binding built (${path.relative(process.cwd(), path.join(here, 'build', 'Release', 'pbx_pcap.node'))})`)
