import { BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent } from 'electron'
import { toErrorPayload, ApiError } from '../core/api/errors'
import type { Tapedeck } from '../core/tapedeck'
import {
  IPC_EVENT,
  IPC_INVOKE,
  IPC_PICK_DIRECTORY,
  IPC_PRINT_LABELS,
  IPC_PRINT_PAPER_KEY
} from '../../preload/bridge'
import { printLabels } from './print-labels'
import { printPaperKey } from './print-paper-key'
import { isTrustedFrame } from './security'

/** Electron IPC transport: the same router as serve mode, behind a sender-frame check. */
export function registerIpc(core: Tapedeck, indexHtml: string): () => void {
  const checkSender = (event: IpcMainInvokeEvent) => {
    if (!isTrustedFrame(event.senderFrame, indexHtml)) {
      throw new ApiError('unauthorized', 'IPC call from an untrusted frame')
    }
  }

  ipcMain.handle(IPC_INVOKE, async (event, method: unknown, args: unknown) => {
    try {
      checkSender(event)
      return { result: await core.api.call(method, args) }
    } catch (err) {
      // Electron would pass on only the message of a thrown error; send the code too.
      return { error: toErrorPayload(err) }
    }
  })

  ipcMain.handle(IPC_PICK_DIRECTORY, async (event) => {
    checkSender(event)
    const window = BrowserWindow.fromWebContents(event.sender)
    const options = { properties: ['openDirectory' as const, 'createDirectory' as const] }
    const result = window
      ? await dialog.showOpenDialog(window, options)
      : await dialog.showOpenDialog(options)
    return result.canceled ? null : (result.filePaths[0] ?? null)
  })

  ipcMain.handle(IPC_PRINT_PAPER_KEY, async (event, request: unknown) => {
    checkSender(event)
    return printPaperKey(core, BrowserWindow.fromWebContents(event.sender), request)
  })

  ipcMain.handle(IPC_PRINT_LABELS, async (event, request: unknown) => {
    checkSender(event)
    return printLabels(core, BrowserWindow.fromWebContents(event.sender), request)
  })

  const unsubscribe = core.events.onAny((name, payload) => {
    for (const window of BrowserWindow.getAllWindows()) {
      if (!window.isDestroyed()) window.webContents.send(IPC_EVENT, name, payload)
    }
  })

  const stopWatching = core.watchOtherProcesses()

  return () => {
    unsubscribe()
    stopWatching()
    ipcMain.removeHandler(IPC_INVOKE)
    ipcMain.removeHandler(IPC_PICK_DIRECTORY)
    ipcMain.removeHandler(IPC_PRINT_PAPER_KEY)
    ipcMain.removeHandler(IPC_PRINT_LABELS)
  }
}
