/**
 * Kept so that `import ... from '../config.js'` keeps working; the configuration lives in
 * src/config/ (index.ts: loading, schema.ts: known keys, print.ts: `pbx config check`).
 */
export * from './config/index.js'
