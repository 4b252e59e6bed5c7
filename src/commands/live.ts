import {Command, Flags} from '@oclif/core'
import {formatInterfaces, LIVE_SNAPLEN, LiveError, LiveSource, listInterfaces} from '../capture/live.js'
import {PcapngWriteError, PcapngWriter} from '../capture/pcapng-writer.js'
import {outputs as allOutputs} from '../output/registry.js'
import {protocols as allProtocols} from '../protocols/registry.js'
import {printError, runCommand} from '../run/command.js'
import {ExitCode} from '../run/exit-codes.js'
import {type OutputRequest, outputRequests, PlanError} from '../run/plan.js'
import {terminalSafe} from '../util/sanitize.js'

export default class Live extends Command {
  static override summary = 'Capture on a network interface (libpcap) and report its application transactions as they happen.'

  static override description = `Runs the same pipeline as \`analyze\` on packets captured live from an interface with libpcap, through
pbx's own native binding (src/capture/native). --filter is a pcap-filter (BPF) expression compiled by libpcap.
Capture stops after --count packets, after --duration seconds, or on Ctrl-C (SIGINT) / SIGTERM; every transaction
in flight is then flushed and written. Packets carry libpcap's (the kernel's) timestamps, in nanoseconds. --write
also saves the raw packets as pcapng, which \`pbx analyze\` reads back to the same events. The summary's statistics
show the drops libpcap reports (pcap_stats: its buffer, the interface) next to pbx's own queue drops.

Capturing needs root or CAP_NET_RAW (e.g. \`sudo setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))\`)
and the native binding, which \`npm ci\` builds when libpcap-dev and a C compiler are present (otherwise install
them and run \`npm run build:native\`).

Exit codes: 0 ok (--count or --duration reached); 2 bad flags or config, or an invalid --filter (libpcap's message);
3 capture cannot start: the binding is not built, no root / CAP_NET_RAW, or no such interface (the available ones
are listed); 5 an output or the --write file could not be written; 130/143 stopped by
SIGINT/SIGTERM after flushing everything in flight.`

  static override examples = [
    '<%= config.bin %> live --list',
    '<%= config.bin %> live -i lo --filter "tcp port 8080"',
    '<%= config.bin %> live -i eth0 --filter "port 53" --count 1000 --format ndjson -o dns.ndjson',
    '<%= config.bin %> live -i eth0 --duration 60 --write capture.pcapng --format summary',
  ]

  static override flags = {
    interface: Flags.string({char: 'i', description: 'interface to capture on (see --list)'}),
    list: Flags.boolean({description: 'list the interfaces libpcap can capture on (name, addresses, description) and exit'}),
    filter: Flags.string({description: 'capture filter in pcap-filter (BPF) syntax, compiled by libpcap, e.g. "tcp port 80"'}),
    count: Flags.integer({description: 'stop after this many packets', min: 1}),
    duration: Flags.string({description: 'stop after this many seconds (decimals allowed)'}),
    write: Flags.string({description: 'also save the captured packets to this pcapng file'}),
    'buffer-size': Flags.integer({
      description: 'libpcap capture buffer in MiB (default 128): room for bursts while pbx is busy; on lo (MTU 65536) each packet takes a 64 KiB slot',
      min: 1,
      max: 4096,
    }),
    format: Flags.string({
      char: 'f',
      multiple: true,
      multipleNonGreedy: true,
      description: `output format, optionally with its file: FORMAT[=PATH]; repeat for several outputs (${allOutputs.map((o) => o.name).join(', ')}; default summary)`,
    }),
    output: Flags.string({char: 'o', description: 'write the (single) format to this file instead of standard output'}),
    protocols: Flags.string({
      char: 'p',
      description: `comma-separated protocols to parse (default: all: ${allProtocols.map((p) => p.name).join(',')})`,
    }),
    config: Flags.string({char: 'c', description: 'YAML config file (limits, protocol options)'}),
    limit: Flags.string({
      description: 'override a bound, e.g. --limit maxConnections=100000 (repeatable; see `pbx limits`)',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'send-headers': Flags.boolean({description: 'include HTTP request/response headers in events'}),
    top: Flags.integer({description: 'rows in each top-N table of the summary', default: 10, min: 0}),
    color: Flags.boolean({description: 'colour the summary (default: when stdout is a terminal)', allowNo: true}),
    flows: Flags.boolean({description: 'also emit a flow record (type "flow") per TCP connection and UDP flow'}),
    'flow-period': Flags.string({description: 'with --flows: also emit interim flow records every SECONDS of capture time'}),
  }

  private fail(message: string, code: number): never {
    printError(message, 2000)
    return this.exit(code)
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Live)
    if (flags.list) {
      try {
        const devs = listInterfaces()
        for (const line of formatInterfaces(devs).split('\n')) process.stdout.write(`${terminalSafe(line, 1000)}\n`)
        return
      } catch (e) {
        if (e instanceof LiveError) this.fail(e.message, ExitCode.UNREADABLE)
        throw e
      }
    }
    if (flags.interface === undefined) this.fail('live: give an interface with -i IF (see `pbx live --list`)', ExitCode.USAGE)
    let durationSec: number | undefined
    if (flags.duration !== undefined) {
      durationSec = Number(flags.duration)
      if (!/^\d+(\.\d+)?$/.test(flags.duration) || !(durationSec > 0)) {
        this.fail(`--duration: expected a number of seconds > 0, got "${flags.duration}"`, ExitCode.USAGE)
      }
    }
    let outputs: OutputRequest[]
    try {
      outputs = outputRequests(flags.format, flags.output)
    } catch (e) {
      if (e instanceof PlanError) this.fail(e.message, e.exitCode)
      throw e
    }
    const device = flags.interface
    const filter = flags.filter ?? ''
    const source = new LiveSource({
      device,
      filter,
      count: flags.count,
      durationSec,
      bufferBytes: flags['buffer-size'] === undefined ? undefined : flags['buffer-size'] * 1024 * 1024,
      onStart: () => {
        const what = [filter ? `filter "${filter}"` : '', flags.count ? `${flags.count} packets` : '', durationSec ? `${durationSec} s` : '']
        process.stderr.write(`pbx: capturing on ${terminalSafe(device, 200)}${terminalSafe(what.filter(Boolean).map((w) => `, ${w}`).join(''), 1000)}; Ctrl-C to stop\n`)
      },
    })
    // Everything that keeps capture from starting is found here, before any output is opened.
    const problem = source.check()
    if (problem !== null) this.fail(problem.message, problem.kind === 'filter' ? ExitCode.USAGE : ExitCode.UNREADABLE)

    let writer: PcapngWriter | null = null
    const exitCode = await runCommand({
      invocation: {
        files: [],
        sources: [source],
        outputs,
        configFile: flags.config,
        protocols: flags.protocols,
        limits: flags.limit,
        sendHeaders: flags['send-headers'],
        flows: flags.flows,
        flowPeriod: flags['flow-period'],
        top: flags.top,
        color: flags.color,
      },
      progress: false,
      beforeRun: () => {
        if (flags.write === undefined) return undefined
        try {
          writer = PcapngWriter.open(flags.write, {linkType: source.linkType, snaplen: LIVE_SNAPLEN, resolution: 'ns', interfaceName: device})
        } catch (e) {
          if (e instanceof PcapngWriteError) return {message: `--write ${e.message}`, exitCode: ExitCode.OUTPUT}
          throw e
        }
        source.tee = writer
        return undefined
      },
      afterRun: () => {
        const w = writer as PcapngWriter | null
        if (w === null) return []
        const err = w.close()
        return err === null ? [] : [{message: `--write ${err.message} (${w.lost} packets not saved)`, exitCode: ExitCode.OUTPUT}]
      },
    })
    if (exitCode !== ExitCode.OK) this.exit(exitCode)
  }
}
