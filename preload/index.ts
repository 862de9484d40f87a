import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import {
  IPC_EVENT,
  IPC_INVOKE,
  IPC_PICK_DIRECTORY,
  IPC_PRINT_LABELS,
  IPC_PRINT_PAPER_KEY,
  type TapedeckBridge
} from './bridge'

const bridge = {
  invoke: (method, args) => ipcRenderer.invoke(IPC_INVOKE, method, args),
  onEvent: (listener) => {
    // The IpcRendererEvent (with its sender) never reaches the page.
    const wrapped = (_event: IpcRendererEvent, name: string, payload: unknown) =>
      listener(name, payload)
    ipcRenderer.on(IPC_EVENT, wrapped)
    return () => ipcRenderer.off(IPC_EVENT, wrapped)
  },
  pickDirectory: () => ipcRenderer.invoke(IPC_PICK_DIRECTORY),
  printPaperKey: (request) => ipcRenderer.invoke(IPC_PRINT_PAPER_KEY, request),
  printLabels: (request) => ipcRenderer.invoke(IPC_PRINT_LABELS, request)
} satisfies TapedeckBridge

contextBridge.exposeInMainWorld('tapedeck', bridge)
