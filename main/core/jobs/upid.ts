/**
 * Task ids in PBS's UPID form, so admins who know PBS read them the same way:
 * UPID:<node>:<pid>:<pstart>:<task nr>:<start time>:<worker type>:<worker id>:<user>:
 * (numbers in upper-case hex, 8 digits; the worker id systemd-escaped so it holds no ':').
 */
export interface UpidParts {
  node: string
  pid: number
  pstart: number
  taskNr: number
  starttime: number
  workerType: string
  workerId?: string
  user: string
}

const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, '0')

export function escapeWorkerId(id: string): string {
  let out = ''
  for (const [i, ch] of [...id].entries()) {
    if (ch === '/') out += '-'
    else if (/[A-Za-z0-9_]/.test(ch) || (ch === '.' && i > 0)) out += ch
    else for (const byte of Buffer.from(ch)) out += `\\x${byte.toString(16).padStart(2, '0')}`
  }
  return out
}

export function unescapeWorkerId(id: string): string {
  const bytes: number[] = []
  for (let i = 0; i < id.length; i++) {
    if (id.startsWith('\\x', i)) {
      bytes.push(parseInt(id.slice(i + 2, i + 4), 16))
      i += 3
    } else bytes.push(...Buffer.from(id[i] === '-' ? '/' : id[i]!))
  }
  return Buffer.from(bytes).toString()
}

export function formatUpid(p: UpidParts): string {
  const id = p.workerId === undefined ? '' : escapeWorkerId(p.workerId)
  return `UPID:${p.node}:${hex8(p.pid)}:${hex8(p.pstart)}:${hex8(p.taskNr)}:${hex8(p.starttime)}:${p.workerType}:${id}:${p.user}:`
}

export function parseUpid(upid: string): UpidParts {
  const m =
    /^UPID:([A-Za-z0-9_.-]+):([0-9A-F]{8}):([0-9A-F]{8,9}):([0-9A-F]{8,16}):([0-9A-F]{8}):([^:\s/]+):([^:\s]*):([^:\s]+):$/.exec(
      upid
    )
  if (!m) throw new Error(`'${upid}' is not a task id (UPID)`)
  return {
    node: m[1]!,
    pid: parseInt(m[2]!, 16),
    pstart: parseInt(m[3]!, 16),
    taskNr: parseInt(m[4]!, 16),
    starttime: parseInt(m[5]!, 16),
    workerType: m[6]!,
    workerId: m[7] === '' ? undefined : unescapeWorkerId(m[7]!),
    user: m[8]!
  }
}
