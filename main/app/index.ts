/**
 * Electron main process: one window on the Electron-free core. Everything that can run without
 * Electron lives in main/core; this file only adapts it.
 */
import { startScheduler } from '../core/jobs/scheduler'
import { app, BrowserWindow, dialog, Menu } from 'electron'
import { join } from 'node:path'
import { defaultHome, resolveHome } from '../core/home'
import { openTapedeck, type Tapedeck } from '../core/tapedeck'
import { registerIpc } from './ipc'
import { safeStorageSealer } from './key-sealer'
import { applySecurityPolicies } from './security'

const indexHtml = join(__dirname, '../renderer/index.html')

function homeFromArgs(argv: string[]): string | undefined {
  const i = argv.indexOf('--home')
  if (i >= 0) return argv[i + 1]
  return argv.find((a) => a.startsWith('--home='))?.slice('--home='.length)
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Tapedeck',
    webPreferences: {
      preload: join(__dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false
    }
  })
  window.once('ready-to-show', () => window.show())
  void window.loadFile(indexHtml)
  return window
}

async function start(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  // CLI and app share one home by default (~/.config/tapedeck).
  app.setPath('userData', defaultHome())
  await app.whenReady()
  applySecurityPolicies()
  Menu.setApplicationMenu(null)

  let core: Tapedeck
  try {
    core = await openTapedeck({
      home: resolveHome({
        flag: homeFromArgs(process.argv),
        electronUserData: app.getPath('userData')
      }),
      keySealer: safeStorageSealer()
    })
  } catch (err) {
    dialog.showErrorBox('Tapedeck cannot start', err instanceof Error ? err.message : String(err))
    app.exit(1)
    return
  }
  const unregister = registerIpc(core, indexHtml)
  const scheduler = startScheduler(core, core.runBackupJob)

  let window = createWindow()
  app.on('second-instance', () => {
    if (window.isDestroyed()) window = createWindow()
    if (window.isMinimized()) window.restore()
    window.focus()
  })
  app.on('window-all-closed', () => app.quit())

  let closing = false
  app.on('before-quit', (event) => {
    if (closing) return
    closing = true
    event.preventDefault()
    unregister()
    void scheduler
      .stop()
      .then(() => core.close())
      .finally(() => app.exit(0))
  })
}

void start()
