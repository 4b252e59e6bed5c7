/**
 * TLS record decryption with NSS key log secrets: the library the TLS session wires in (see
 * README.md beside this file for the call sequence).
 */
export {
  CT_ALERT,
  CT_APPLICATION_DATA,
  CT_CCS,
  CT_HANDSHAKE,
  type CreateResult,
  createDecryptor,
  type DecryptAnomaly,
  type DecryptOptions,
  type DecryptParams,
  type DecryptSink,
  TlsDecryptor,
} from './decryptor.js'
export {keyLogSecretsHandler, SECRETS_TLS_KEY_LOG} from './dsb.js'
export {clientHelloRandom, type ServerHelloFacts, serverHelloFacts} from './hello.js'
export {KeyLog, KeyLogError, type KeyLogStats, runKeyLog, type TlsSecrets} from './keylog.js'
export {MAX_FRAGMENT, type RecordCallbacks, TlsRecordReader} from './record-reader.js'
