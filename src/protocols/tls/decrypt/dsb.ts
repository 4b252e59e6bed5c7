/**
 * pcapng Decryption Secrets Blocks -> KeyLog: the onSecrets callback for readCapture /
 * CaptureParser. 'TLSK' blocks carry NSS key log text (what `editcap --inject-secrets tls,FILE`
 * writes); other secrets types (WireGuard, ZigBee) are counted and ignored.
 */
import type {KeyLog} from './keylog.js'

/** DSB secrets type 'TLSK' (pcapng 4.7; the same value as capture/pcapng.ts SECRETS_TLS_KEY_LOG). */
export const SECRETS_TLS_KEY_LOG = 0x544c534b

export function keyLogSecretsHandler(keylog: KeyLog, file: string, ignored?: () => void): (secretsType: number, data: Buffer, offset: number) => void {
  return (secretsType, data, offset) => {
    if (secretsType === SECRETS_TLS_KEY_LOG) keylog.addText(data, `${file}@${offset} (pcapng DSB)`)
    else ignored?.()
  }
}
