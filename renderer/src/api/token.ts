/**
 * Serve mode prints `http://127.0.0.1:PORT/#token=<hex>`. The token is taken out of the address
 * (so it does not end up in bookmarks or screenshots), kept for this tab in sessionStorage (so a
 * reload still works) and sent as the WebSocket subprotocol `tapedeck.<token>`.
 *
 * Must run before the router reads the hash.
 */
const STORAGE_KEY = 'tapedeck.token'

export function takeTokenFromLocation(): string | null {
  const hash = window.location.hash.replace(/^#\/?/, '')
  const query = hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : hash
  const params = new URLSearchParams(query)
  const token = params.get('token')
  if (token !== null && /^[A-Za-z0-9_-]+$/.test(token)) {
    try {
      sessionStorage.setItem(STORAGE_KEY, token)
    } catch {
      // storage disabled: the token then lives only as long as this page
    }
    window.history.replaceState(
      window.history.state,
      '',
      window.location.pathname + window.location.search
    )
    return token
  }
  try {
    return sessionStorage.getItem(STORAGE_KEY)
  } catch {
    return null
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY)
  } catch {
    // nothing to forget
  }
}
