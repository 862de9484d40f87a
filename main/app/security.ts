import { app, session, shell, type WebContents, type WebFrameMain } from 'electron'
import { pathToFileURL } from 'node:url'

/** The one page the app shows; IPC from any other frame or URL is refused. */
export function isTrustedFrame(frame: WebFrameMain | null, indexHtml: string): boolean {
  if (!frame || frame.parent !== null) return false
  const expected = pathToFileURL(indexHtml).href
  return frame.url.split('#')[0] === expected
}

function openExternalSafely(url: string): void {
  const protocol = new URL(url).protocol
  if (protocol === 'https:' || protocol === 'http:') void shell.openExternal(url)
}

export function applySecurityPolicies(): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-navigate', (event) => event.preventDefault())
    contents.on('will-redirect', (event) => event.preventDefault())
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(({ url }) => {
      openExternalSafely(url)
      return { action: 'deny' }
    })
  })
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) =>
    callback(false)
  )
  session.defaultSession.setPermissionCheckHandler(() => false)
}
