import type {FieldSpec} from '../../event/types.js'

/** Redis event fields beyond the common ones (method, resource, query are common summary fields). */
export const fields: FieldSpec[] = [
  {name: 'method', type: 'keyword', description: 'The command, upper-case (SET, GET, ...); MESSAGE / PMESSAGE / ... for server pushes'},
  {name: 'resource', type: 'keyword', description: 'The first argument of the command (usually the key); the channel of a pushed message'},
  {name: 'query', type: 'keyword', description: 'The command line as sent, arguments joined by spaces (bounded to 1024 characters)'},
  {name: 'redis.return_value', type: 'keyword', description: 'Short rendering of the reply (arrays as [a, b], maps as {k: v}, null as nil; bounded)'},
  {name: 'redis.error', type: 'keyword', description: 'The error message of an error reply (-ERR ... / !bulk error); status is then Error'},
]
