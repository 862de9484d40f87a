/** Worker-thread entry: checks chunk files for the chunk-check pool (one request at a time). */
import { parentPort } from 'node:worker_threads'
import { checkChunkFile, type ChunkCheckRequest } from './chunk-check'

parentPort?.on('message', (message: { id: number; request: ChunkCheckRequest }) => {
  void checkChunkFile(message.request).then((result) => {
    parentPort?.postMessage({ id: message.id, result })
  })
})
