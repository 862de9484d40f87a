/** Bad input to the label engine (label text, source, layout); the API maps it to invalid-argument. */
export class LabelError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LabelError'
  }
}
