/**
 * Runs one command as a child process and measures its wall-clock time and peak resident set size.
 * Peak RSS comes from GNU time (`/usr/bin/time -v`, Debian package `time`: "Maximum resident set
 * size") when installed, otherwise from polling /proc/PID/status VmHWM every 10 ms (which can miss
 * a peak reached in the last few milliseconds before exit).
 */
import {spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'

export const GNU_TIME = '/usr/bin/time'
export const haveGnuTime = existsSync(GNU_TIME)

export interface Measured {
  wallMs: number
  /** Peak RSS in bytes, or null if it could not be measured. */
  peakRss: number | null
  /**
   * User + system CPU time of the process in ms (GNU time, or the last /proc/PID/stat poll). Much
   * less disturbed than wall time when other work shares the cores.
   */
  cpuMs: number | null
  code: number
  stdout: string
  stderr: string
}

export interface MeasureOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Keep the command's standard output (default: discard it, like > /dev/null). */
  keepStdout?: boolean
}

const CLK_TCK = 100

/** utime + stime in ms from /proc/PID/stat (fields 14 and 15, after the parenthesised name). */
function procCpu(pid: number): number | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK
  } catch {
    return null
  }
}

function vmHwm(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))
    return m ? Number(m[1]) * 1024 : null
  } catch {
    return null
  }
}

export function measure(cmd: string, args: string[], o: MeasureOptions = {}): Promise<Measured> {
  const argv = haveGnuTime ? ['-v', cmd, ...args] : args
  const bin = haveGnuTime ? GNU_TIME : cmd
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(bin, argv, {cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', o.keepStdout ? 'pipe' : 'ignore', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    let polled: number | null = null
    let polledCpu: number | null = null
    const timer = haveGnuTime
      ? null
      : setInterval(() => {
          if (child.pid === undefined) return
          const v = vmHwm(child.pid)
          if (v !== null && (polled === null || v > polled)) polled = v
          polledCpu = procCpu(child.pid) ?? polledCpu
        }, 10)
    child.on('error', reject)
    child.on('close', (code) => {
      const wallMs = performance.now() - t0
      if (timer) clearInterval(timer)
      let peakRss = polled
      let cpuMs = polledCpu
      if (haveGnuTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)
        peakRss = m ? Number(m[1]) * 1024 : null
        const u = /User time \(seconds\): ([\d.]+)/.exec(stderr)
        const k = /System time \(seconds\): ([\d.]+)/.exec(stderr)
        cpuMs = u && k ? (Number(u[1]) + Number(k[1])) * 1000 : null
        // Keep the command's own messages, drop GNU time's report.
        const cut = stderr.indexOf('\tCommand being timed:')
        if (cut >= 0) stderr = stderr.slice(0, cut)
      }
      resolve({wallMs, peakRss, cpuMs, code: code ?? -1, stdout, stderr})
    })
  })
}
