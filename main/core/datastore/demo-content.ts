/**
 * Plausible bytes for the demo datastore: log, config, prose, SQL and shell-history text (which
 * compresses like real text), random data (which does not compress) and zeros, plus the Proxmox
 * guest config files. Everything is drawn from a DemoRandom, so it is reproducible.
 */
import { BASE64, type DemoRandom } from './demo-random'

export type TextStyle = 'syslog' | 'access' | 'config' | 'prose' | 'sql' | 'shell'
export const TEXT_STYLES: readonly TextStyle[] = [
  'syslog',
  'access',
  'config',
  'prose',
  'sql',
  'shell'
]

const WORDS = (
  'the of and to in is for on with as by at from that this be are was it an or not have has ' +
  'backup tape drive library media pool retention snapshot archive chunk index datastore server ' +
  'client network storage volume disk cluster node service daemon process request response ' +
  'error warning notice update upgrade package kernel module device interface address route ' +
  'user group permission certificate key token session login password policy schedule job ' +
  'daily weekly monthly report invoice customer order payment product price quantity total ' +
  'project meeting agenda minutes review release version branch commit merge build test deploy ' +
  'database table query transaction replica primary secondary cache memory buffer queue worker ' +
  'timeout retry limit threshold metric alert dashboard graph latency throughput bandwidth ' +
  'mail message inbox folder attachment calendar contact note document draft final summary'
).split(' ')
const HOST_PROCS = ['sshd', 'CRON', 'systemd', 'kernel', 'postfix/smtpd', 'chronyd', 'dbus-daemon']
const USERS = ['root', 'admin', 'deploy', 'alice', 'bob', 'carol', 'backup', 'www-data']
const UNITS = [
  'logrotate.service',
  'apt-daily.service',
  'apt-daily-upgrade.service',
  'man-db.service',
  'fstrim.service',
  'certbot.service',
  'e2scrub_all.service',
  'systemd-tmpfiles-clean.service',
  'phpsessionclean.service',
  'postgresql@15-main.service'
]
const CRON_CMDS = [
  'test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }',
  '/usr/local/bin/healthcheck.sh > /dev/null 2>&1',
  '[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi',
  'cd / && run-parts --report /etc/cron.hourly',
  '/usr/bin/certbot -q renew'
]
const HTTP_PATHS = [
  '/',
  '/index.html',
  '/login',
  '/static/app.js',
  '/static/style.css',
  '/api/v1/items',
  '/api/v1/orders',
  '/api/v1/users/me',
  '/healthz',
  '/metrics',
  '/favicon.ico',
  '/robots.txt'
]
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'curl/8.5.0',
  'Prometheus/2.53.0',
  'Go-http-client/1.1'
]
const SHELL_CMDS = [
  'ls -la',
  'cd /var/log',
  'tail -f syslog',
  'systemctl status nginx',
  'systemctl restart postgresql',
  'journalctl -u ssh --since today',
  'apt update && apt full-upgrade',
  'df -h',
  'du -sh *',
  'git pull --rebase',
  'git status',
  'vim /etc/nginx/sites-available/default',
  'docker ps',
  'htop',
  'ip a',
  'ping -c 3 10.0.0.1',
  'proxmox-backup-client snapshot list',
  'zpool status',
  'less README.md',
  'make -j8'
]
const TABLES = ['customers', 'orders', 'order_items', 'products', 'invoices', 'events', 'sessions']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))

/**
 * An endless sequence of text lines of one style. Log styles carry a clock that advances a little
 * with every line, starting from `startEpoch`.
 */
export class TextSource {
  private clock: number

  constructor(
    private readonly rng: DemoRandom,
    readonly style: TextStyle,
    private readonly host = 'pve',
    startEpoch = 1_767_225_600
  ) {
    this.clock = startEpoch
  }

  line(): string {
    const r = this.rng
    switch (this.style) {
      case 'syslog':
        return this.syslogLine(r)
      case 'access': {
        this.clock += r.int(8)
        const d = new Date(this.clock * 1000)
        const stamp = `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`
        const path = r.pick(HTTP_PATHS) + (r.chance(0.3) ? `?page=${r.range(1, 40)}` : '')
        const status = r.chance(0.9) ? 200 : r.pick([301, 304, 404, 500])
        return `${this.ip()} - ${r.chance(0.2) ? r.pick(USERS) : '-'} [${stamp}] "${r.pick(['GET', 'GET', 'GET', 'POST'])} ${path} HTTP/1.1" ${status} ${r.range(120, 48000)} "-" "${r.pick(AGENTS)}"`
      }
      case 'config': {
        const k = r.int(10)
        if (k === 0) return `# ${this.sentence(r, 4, 12)}`
        if (k === 1) return `[${r.pick(WORDS)}${r.chance(0.5) ? `.${r.pick(WORDS)}` : ''}]`
        if (k === 2) return ''
        const value = r.chance(0.4)
          ? String(r.range(0, 65535))
          : r.chance(0.5)
            ? `/etc/${r.pick(WORDS)}/${r.pick(WORDS)}.conf`
            : r.pick(['yes', 'no', 'true', 'false', 'auto', r.pick(WORDS)])
        return `${r.pick(WORDS)}_${r.pick(WORDS)} = ${value}`
      }
      case 'prose':
        return r.chance(0.12) ? '' : this.sentence(r, 6, 22)
      case 'sql': {
        const id = r.range(1, 999_999)
        const user = r.pick(USERS)
        return `INSERT INTO ${r.pick(TABLES)} VALUES (${id}, '${r.pick(WORDS)} ${r.pick(WORDS)}', '${user}${r.int(100)}@example.com', ${r.int(100_000) / 100}, '2025-${pad2(r.range(1, 12))}-${pad2(r.range(1, 28))}');`
      }
      case 'shell':
        return r.chance(0.7)
          ? r.pick(SHELL_CMDS)
          : `cat /var/log/${r.pick(WORDS)}.log | grep ${r.pick(WORDS)}`
    }
  }

  private syslogLine(r: DemoRandom): string {
    this.clock += r.int(40)
    const d = new Date(this.clock * 1000)
    const day = String(d.getUTCDate()).padStart(2, ' ')
    const stamp = `${MONTHS[d.getUTCMonth()]} ${day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
    const proc = r.pick(HOST_PROCS)
    const pid = r.range(300, 65000)
    let message: string
    switch (proc) {
      case 'sshd':
        message = r.chance(0.5)
          ? `Accepted publickey for ${r.pick(USERS)} from ${this.ip()} port ${r.range(1024, 65535)} ssh2: ED25519 SHA256:${r.token(43, BASE64)}`
          : `pam_unix(sshd:session): session ${r.pick(['opened', 'closed'])} for user ${r.pick(USERS)}`
        break
      case 'CRON':
        message = `(root) CMD (${r.pick(CRON_CMDS)})`
        break
      case 'systemd': {
        const unit = r.pick(UNITS)
        message = r.pick([
          `Starting ${unit} - ${this.sentence(r, 2, 4)}...`,
          `${unit}: Deactivated successfully.`,
          `Finished ${unit}.`,
          `${unit}: Consumed ${r.int(5000) / 1000}s CPU time.`
        ])
        return `${stamp} ${this.host} systemd[1]: ${message}`
      }
      case 'kernel':
        return `${stamp} ${this.host} kernel: [${r.range(10, 9_999_999)}.${r.token(6, '0123456789')}] ${this.sentence(r, 3, 9)}`
      case 'postfix/smtpd':
        message = `${r.pick(['connect', 'disconnect'])} from unknown[${this.ip()}]`
        break
      default:
        message = this.sentence(r, 3, 10)
    }
    return `${stamp} ${this.host} ${proc}[${pid}]: ${message}`
  }

  private ip(): string {
    const r = this.rng
    return r.chance(0.7) ? `10.0.${r.int(8)}.${r.range(2, 254)}` : `192.0.2.${r.range(1, 254)}`
  }

  private sentence(r: DemoRandom, min: number, max: number): string {
    const n = r.range(min, max)
    let s = ''
    for (let i = 0; i < n; i++) s += (i === 0 ? '' : ' ') + r.pick(WORDS)
    return s
  }
}

/** Fills `out` completely with lines from `source` (the last line is cut off). */
export function fillText(out: Uint8Array, source: TextSource): void {
  const buf = Buffer.from(out.buffer, out.byteOffset, out.byteLength)
  let pos = 0
  while (pos < buf.length) {
    // One write per ~16 KiB of lines: Buffer.write has a fixed cost per call.
    const want = Math.min(16 * 1024, buf.length - pos)
    let text = ''
    while (text.length < want) text += source.line() + '\n'
    pos += buf.write(text, pos, 'latin1')
  }
}

/** Text of exactly `size` bytes ending in a newline (a log cut at a fixed length). */
export function textOfSize(size: number, source: TextSource): Uint8Array {
  const out = new Uint8Array(size)
  fillText(out, source)
  if (size > 0) out[size - 1] = 0x0a
  return out
}

export type BlockMix = { text: number; zero: number; random: number }

/**
 * Fills `out` in 64 KiB blocks like a used filesystem: text blocks (`mix.text`), zero blocks
 * (`mix.zero`), random blocks (compressed or encrypted files, the rest).
 */
export function fillBlocks(out: Uint8Array, rng: DemoRandom, mix: BlockMix, host: string): void {
  const block = 64 * 1024
  for (let at = 0; at < out.length; at += block) {
    const piece = out.subarray(at, Math.min(out.length, at + block))
    const x = rng.float()
    if (x < mix.text) {
      fillText(piece, new TextSource(rng, rng.pick(TEXT_STYLES), host))
    } else if (x < mix.text + mix.zero) {
      piece.fill(0)
    } else {
      rng.fill(piece)
    }
  }
}

export function formatGuestSize(bytes: number): string {
  const units: [string, number][] = [
    ['T', 2 ** 40],
    ['G', 2 ** 30],
    ['M', 2 ** 20],
    ['K', 2 ** 10]
  ]
  for (const [unit, scale] of units)
    if (bytes >= scale && bytes % scale === 0) return `${bytes / scale}${unit}`
  for (const [unit, scale] of units) if (bytes >= scale) return `${Math.ceil(bytes / scale)}${unit}`
  return `${bytes}`
}

function macAddress(rng: DemoRandom): string {
  const bytes = [0xbc, 0x24, 0x11, rng.int(256), rng.int(256), rng.int(256)]
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':')
}

function uuidText(rng: DemoRandom): string {
  const h = Buffer.from(rng.uuid()).toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** `/etc/pve/qemu-server/<vmid>.conf` as the VM backup stores it. */
export function qemuServerConf(
  rng: DemoRandom,
  vmid: number,
  name: string,
  diskSize: number,
  created: number
): string {
  const cores = rng.pick([1, 2, 2, 4, 4, 8])
  const memory = rng.pick([1024, 2048, 4096, 4096, 8192, 16384])
  const ostype = rng.pick(['l26', 'l26', 'l26', 'win11'])
  const lines = [
    `agent: 1`,
    `boot: order=scsi0;ide2;net0`,
    `cores: ${cores}`,
    `cpu: x86-64-v2-AES`,
    `ide2: none,media=cdrom`,
    `memory: ${memory}`,
    `meta: creation-qemu=9.0.2,ctime=${created}`,
    `name: ${name}`,
    `net0: virtio=${macAddress(rng)},bridge=vmbr0,firewall=1`,
    `numa: 0`,
    `onboot: 1`,
    `ostype: ${ostype}`,
    `scsi0: local-lvm:vm-${vmid}-disk-0,discard=on,iothread=1,size=${formatGuestSize(diskSize)}`,
    `scsihw: virtio-scsi-single`,
    `smbios1: uuid=${uuidText(rng)}`,
    `sockets: 1`,
    `vmgenid: ${uuidText(rng)}`
  ]
  return lines.join('\n') + '\n'
}

/** `/etc/pve/lxc/<ctid>.conf` as the container backup stores it (`pct.conf`). */
export function pctConf(rng: DemoRandom, hostname: string, ctid: number): string {
  const lines = [
    `arch: amd64`,
    `cores: ${rng.pick([1, 2, 2, 4])}`,
    `features: nesting=1`,
    `hostname: ${hostname}`,
    `memory: ${rng.pick([512, 1024, 2048])}`,
    `net0: name=eth0,bridge=vmbr0,firewall=1,hwaddr=${macAddress(rng)},ip=dhcp,type=veth`,
    `onboot: 1`,
    `ostype: debian`,
    `rootfs: local-lvm:vm-${ctid}-disk-0,size=${rng.pick([4, 8, 8, 16])}G`,
    `swap: 512`,
    `unprivileged: 1`
  ]
  return lines.join('\n') + '\n'
}
