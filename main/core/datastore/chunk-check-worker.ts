/** Worker-thread entry: checks chunk files and blobs for the chunk-check pool. */
import { parentPort } from 'node:worker_threads'
import { checkChunkBlob, checkChunkFile, type ChunkCheckRequest } from './chunk-check'

export type CheckMessage =
  | { id: number; request: ChunkCheckRequest }
  | { id: number; buffer: ArrayBufferLike; offset: number; length: number; digest: Uint8Array }

parentPort?.on('message', (message: CheckMessage) => {
  if ('request' in message) {
    void checkChunkFile(message.request).then((result) => {
      parentPort?.postMessage({ id: message.id, result })
    })
    return
  }
  // A moved buffer goes back to the caller, which writes the blob out after the check; a shared
  // one never left it.
  const { id, buffer, offset, length } = message
  void checkChunkBlob(new Uint8Array(buffer, offset, length), message.digest).then((problem) => {
    if (buffer instanceof SharedArrayBuffer) parentPort?.postMessage({ id, problem })
    else parentPort?.postMessage({ id, problem, buffer, offset, length }, [buffer])
  })
})
