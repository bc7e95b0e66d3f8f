import { writeFile } from 'node:fs/promises'

/** Writes mono 16-bit PCM as a WAV file (what every engine reads). */
export async function writeWav(path: string, pcm: Int16Array, sampleRate: number): Promise<void> {
  const header = Buffer.alloc(44)
  const bytes = pcm.length * 2
  header.write('RIFF', 0)
  header.writeUInt32LE(36 + bytes, 4)
  header.write('WAVE', 8)
  header.write('fmt ', 12)
  header.writeUInt32LE(16, 16)
  header.writeUInt16LE(1, 20)
  header.writeUInt16LE(1, 22)
  header.writeUInt32LE(sampleRate, 24)
  header.writeUInt32LE(sampleRate * 2, 28)
  header.writeUInt16LE(2, 32)
  header.writeUInt16LE(16, 34)
  header.write('data', 36)
  header.writeUInt32LE(bytes, 40)
  await writeFile(path, Buffer.concat([header, Buffer.from(pcm.buffer, pcm.byteOffset, bytes)]))
}
