/**
 * What the preload exposes to the renderer as `window.tapedeck`. Kept tiny on purpose: one
 * generic API call checked in the main process, one event subscription, one native dialog,
 * printing of paper keys and label sheets.
 */
export interface TapedeckBridge {
  invoke(
    method: string,
    args: unknown
  ): Promise<{ result: unknown } | { error: { code: string; message: string } }>
  onEvent(listener: (event: string, payload: unknown) => void): () => void
  pickDirectory(): Promise<string | null>
  /**
   * Prints a key's paper key (rendered by the core from its fingerprint, never HTML from the page)
   * with the system print dialog, or saves it as PDF; resolves to the PDF's path, or null.
   */
  printPaperKey(request: PaperKeyPrintRequest): Promise<string | null>
  /**
   * Prints a label sheet (or the printer calibration page) at its exact paper size without
   * margins, or saves the core's PDF of it; resolves to the PDF's path, or null.
   */
  printLabels(request: LabelPrintRequest): Promise<string | null>
}

export interface PaperKeyPrintRequest {
  fingerprint: string
  subject?: string
  /** 'print': system print dialog; 'pdf': save dialog, then printToPDF */
  to: 'print' | 'pdf'
}

export interface LabelPrintRequest {
  /** `labels.preview` arguments (the core checks them again); absent for the calibration page */
  sheet?: unknown
  /** the paper of the calibration page, when that is what to print */
  calibrationPaper?: string
  /** 'print': system print dialog; 'pdf': save dialog, then the core's PDF */
  to: 'print' | 'pdf'
}

export const IPC_INVOKE = 'tapedeck:invoke'
export const IPC_EVENT = 'tapedeck:event'
export const IPC_PICK_DIRECTORY = 'tapedeck:pick-directory'
export const IPC_PRINT_PAPER_KEY = 'tapedeck:print-paper-key'
export const IPC_PRINT_LABELS = 'tapedeck:print-labels'
