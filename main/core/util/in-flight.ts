/**
 * Work started in order with a bound on how much runs at once: `add` waits only when `limit`
 * promises are pending. A failure is kept (never an unhandled rejection) and thrown by the next
 * `add` or `drain`, so the caller sees it at a point where it can stop cleanly.
 */
export class InFlight {
  private pending: Promise<void>[] = []
  private failure: { error: unknown } | undefined

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.pending.length
  }

  async add(work: Promise<unknown>): Promise<void> {
    this.throwFailure()
    this.pending.push(
      work.then(
        () => undefined,
        (error: unknown) => {
          this.failure ??= { error }
        }
      )
    )
    if (this.pending.length >= this.limit) await this.pending.shift()
    this.throwFailure()
  }

  /**
   * Resolves when the work pending now has finished, failed or not; a failure stays for the next
   * `add` or `drain`. Lets later work wait for earlier work without stopping the caller.
   */
  settled(): Promise<void> {
    return Promise.all(this.pending).then(() => undefined)
  }

  /** Waits for everything pending; throws the first failure. */
  async drain(): Promise<void> {
    const all = this.pending
    this.pending = []
    await Promise.all(all)
    this.throwFailure()
  }

  private throwFailure(): void {
    const failure = this.failure
    if (failure === undefined) return
    this.failure = undefined
    throw failure.error
  }
}
