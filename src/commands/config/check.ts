import {Args, Command} from '@oclif/core'
import {ConfigError, formatEffectiveConfig, loadEffectiveConfig} from '../../config/index.js'
import {terminalSafe} from '../../util/sanitize.js'

export default class ConfigCheck extends Command {
  static override summary = 'Validate a configuration file (packetbeat.yml or pbx YAML) and print the effective configuration.'
  static override description = `Prints the configuration pbx would run with, defaults included, as YAML on standard output; secrets (password, api_key, ...) are shown as <redacted>. Warnings (unsupported keys, legacy field names) go to standard error.

Exit codes: 0 valid; 2 the file cannot be read or has an error (the message names the key, the value and what was expected).`
  static override examples = ['<%= config.bin %> config check packetbeat.yml']
  static override args = {
    file: Args.string({description: 'configuration file', required: true}),
  }

  async run(): Promise<void> {
    const {args} = await this.parse(ConfigCheck)
    let text: string
    try {
      const cfg = loadEffectiveConfig(args.file)
      for (const w of cfg.warnings) process.stderr.write(`pbx: warning: ${terminalSafe(w, 4000)}\n`)
      for (const n of cfg.notes) process.stderr.write(`pbx: note: ${terminalSafe(n, 4000)}\n`)
      text = formatEffectiveConfig(cfg)
    } catch (e) {
      if (e instanceof ConfigError || e instanceof Error) {
        process.stderr.write(`pbx: ${terminalSafe(e.message, 2000)}\n`)
        return this.exit(2)
      }
      throw e
    }
    process.stdout.write(text)
  }
}
