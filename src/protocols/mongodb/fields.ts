import type {FieldSpec} from '../../event/types.js'

/** MongoDB event fields (Packetbeat's names; pbx.mongodb.* extras where Packetbeat has none). */
export const fields: FieldSpec[] = [
  {name: 'request', type: 'text', description: 'The request\'s command document as in `query` (only with send_request).'},
  {name: 'response', type: 'text', description: 'The reply\'s documents (only with send_response, as Packetbeat): at most max_docs (default 10, 0: no limit), one relaxed Extended JSON document per line, each cut at max_doc_length characters (default 5000, 0: no limit) and then followed by " ..."; at most limits.maxCapturedMessageBytes characters.'},
  {name: 'method', type: 'keyword', description: 'The command: find, insert, update, delete, aggregate, getMore, ... (OP_MSG / $cmd queries: the first key of the command document)'},
  {name: 'resource', type: 'keyword', description: 'db.collection the command applies to (db alone for database commands)'},
  {name: 'query', type: 'keyword', description: 'Compact relaxed Extended JSON of the command / filter document (bounded to 1024 characters; absent if the document could not be decoded)'},
  {name: 'mongodb.fullCollectionName', type: 'keyword', description: 'Full collection name of legacy opcodes (OP_QUERY, OP_GET_MORE, OP_INSERT, ...)'},
  {name: 'mongodb.numberToSkip', type: 'long', description: 'OP_QUERY: documents to skip'},
  {name: 'mongodb.numberToReturn', type: 'long', description: 'OP_QUERY / OP_GET_MORE: documents requested'},
  {name: 'mongodb.numberReturned', type: 'long', description: 'Documents returned (OP_REPLY numberReturned; OP_MSG cursor batch length)'},
  {name: 'mongodb.startingFrom', type: 'long', description: 'OP_REPLY: position of the first returned document in the cursor'},
  {name: 'mongodb.cursorId', type: 'long', description: 'Cursor id (getMore / killCursors requests, replies); a decimal string when beyond 2^53'},
  {name: 'mongodb.error', type: 'keyword', description: 'Reply error: $err, errmsg of ok: 0, first writeErrors / writeConcernError message; status is then Error'},
  {name: 'pbx.mongodb.documents', type: 'long', description: 'insert requests: documents to insert (OP_MSG kind-1 "documents" sequence length, else the documents array; OP_INSERT documents)'},
  {name: 'pbx.mongodb.n', type: 'long', description: 'OP_MSG reply: the numeric n of the reply document (documents inserted, matched, deleted or counted)'},
]
