import {Args, Command, Flags} from '@oclif/core'
import {outputs as allOutputs} from '../output/registry.js'
import {protocols as allProtocols} from '../protocols/registry.js'
import {printError, runCommand} from '../run/command.js'
import {ExitCode} from '../run/exit-codes.js'
import {type OutputRequest, outputRequests, PlanError} from '../run/plan.js'

export default class Analyze extends Command {
  static override summary = 'Read capture files and report their application transactions.'

  static override description = `Reads pcap, pcapng (and gzip-compressed) captures as a stream, reassembles TCP and parses
application protocols into request/response transactions. "-" reads standard input. Several files are read in
order; each event then says which file it came from (pbx.file).

Exit codes: 0 ok; 2 bad flags or config; 3 an input could not be opened or is not a capture; 4 a capture is
truncated or damaged (everything before the damage was still analyzed and written); 5 an output could not be
written (disk full, closed standard output, events lost by a server); 130/143 stopped by SIGINT/SIGTERM after
flushing everything in flight.`

  static override examples = [
    '<%= config.bin %> analyze samples/http/nginx.pcap',
    '<%= config.bin %> analyze capture.pcapng.gz --format ndjson | jq -c "select(.status != \\"OK\\")"',
    '<%= config.bin %> analyze a.pcap b.pcap --format csv -o out.csv',
    'tcpdump -w - -i lo | <%= config.bin %> analyze - --format ndjson',
  ]

  static override args = {
    files: Args.string({description: 'capture files (pcap, pcapng, optionally gzip-compressed), or - for stdin', required: true}),
  }

  static override strict = false

  static override flags = {
    format: Flags.string({
      char: 'f',
      multiple: true,
      multipleNonGreedy: true,
      description: `output format, optionally with its file: FORMAT[=PATH]; repeat for several outputs in one run (${allOutputs.map((o) => o.name).join(', ')}; default summary)`,
    }),
    output: Flags.string({char: 'o', description: 'write the (single) format to this file instead of standard output'}),
    protocols: Flags.string({
      char: 'p',
      description: `comma-separated protocols to parse (default: all: ${allProtocols.map((p) => p.name).join(',')})`,
    }),
    config: Flags.string({char: 'c', description: 'YAML config file (limits, protocol options)'}),
    limit: Flags.string({
      description: 'override a bound, e.g. --limit tcpOooBytesPerConn=1048576 (repeatable; see `pbx limits`)',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'send-headers': Flags.boolean({description: 'include HTTP request/response headers in events'}),
    where: Flags.string({description: 'keep only events matching CONDITION, e.g. --where \'http.response.status_code >= 500\' (docs/packetbeat.md)'}),
    filter: Flags.string({description: "capture filter in pcap-filter syntax applied to every packet, e.g. --filter 'tcp port 80 and host 10.0.0.1'"}),
    es: Flags.string({description: 'also send the events to Elasticsearch at URL (output.elasticsearch.hosts)'}),
    clickhouse: Flags.string({description: 'also send the events to ClickHouse at URL (output.clickhouse.url)'}),
    'tls-keylog': Flags.string({description: 'NSS key log file (SSLKEYLOGFILE format) to decrypt TLS; also read: $SSLKEYLOGFILE, tls.keylog_file, pcapng secrets blocks', helpValue: 'FILE'}),
    fields: Flags.string({description: 'NDJSON/CSV: only these fields, in this order, e.g. --fields url.path,http.response.status_code'}),
    top: Flags.integer({description: 'rows in each top-N table of the summary', default: 10, min: 0}),
    color: Flags.boolean({description: 'colour the summary (default: when stdout is a terminal)', allowNo: true}),
    flows: Flags.boolean({description: 'also emit a flow record (type "flow") per TCP connection and UDP flow'}),
    'flow-period': Flags.string({description: 'with --flows: also emit interim flow records every SECONDS of capture time'}),
    workers: Flags.integer({
      description: 'worker threads for the analysis (default 1: this thread only); the output is the same whatever N',
      min: 1,
      max: 64,
    }),
    progress: Flags.boolean({description: 'show a progress bar on stderr (default: when stderr is a terminal)', allowNo: true}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Analyze)
    let outputs: OutputRequest[]
    try {
      outputs = outputRequests(flags.format, flags.output, {es: flags.es, clickhouse: flags.clickhouse})
    } catch (e) {
      if (!(e instanceof PlanError)) throw e
      printError(e.message, 2000)
      return this.exit(e.exitCode)
    }
    const exitCode = await runCommand({
      invocation: {
        files: argv as string[],
        outputs,
        configFile: flags.config,
        protocols: flags.protocols,
        limits: flags.limit,
        sendHeaders: flags['send-headers'],
        tlsKeylog: flags['tls-keylog'],
        flows: flags.flows,
        flowPeriod: flags['flow-period'],
        fields: flags.fields,
        where: flags.where,
        filter: flags.filter,
        top: flags.top,
        color: flags.color,
        workers: flags.workers,
      },
      progress: flags.progress ?? process.stderr.isTTY === true,
    })
    if (exitCode !== ExitCode.OK) this.exit(exitCode)
  }
}
