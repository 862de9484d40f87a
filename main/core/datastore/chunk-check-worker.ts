/** Worker-thread entry: checks chunk files and blobs for the chunk-check pool. */
import { parentPort } from 'node:worker_threads'
import { checkChunkBlob, checkChunkFile, type ChunkCheckRequest } from './chunk-check'

export type CheckMessage =
  | { id: number; request: ChunkCheckRequest }
  | { id: number; buffer: SharedArrayBuffer; offset: number; length: number; digest: Uint8Array }

parentPort?.on('message', (message: CheckMessage) => {
  if ('request' in message) {
    void checkChunkFile(message.request).then((result) => {
      parentPort?.postMessage({ id: message.id, result })
    })
    return
  }
  // The blob stays in the caller's shared buffer, which writes it out after the check.
  const { id, buffer, offset, length } = message
  void checkChunkBlob(new Uint8Array(buffer, offset, length), message.digest).then((problem) => {
    parentPort?.postMessage({ id, problem })
  })
})
