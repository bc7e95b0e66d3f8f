import { existsSync } from 'node:fs'
import type { FfmpegAdapter } from './FfmpegAdapter'

export interface WorkerCapabilities {
  /** ffmpeg has h264_nvenc and a test encode with it works. */
  nvenc: boolean
  /** onnxruntime-node lists the CUDA execution provider and an NVIDIA device is present. */
  cuda: boolean
  /** The H.264 encoder transcodes use. */
  videoEncoder: 'h264_nvenc' | 'libx264'
  /** ONNX Runtime execution providers in order of preference. */
  onnxProviders: string[]
  forcedCpu: boolean
}

/**
 * Looks for GPU support once at start. NVENC counts only when a tiny encode really works (the encoder is
 * compiled into most ffmpeg builds whether or not a GPU is there).
 */
export async function detectCapabilities(ffmpeg: FfmpegAdapter, forceCpu: boolean): Promise<WorkerCapabilities> {
  const encoders = await ffmpeg.encoders()
  const nvenc = !forceCpu && encoders.includes('h264_nvenc') && (await ffmpeg.canEncode('h264_nvenc'))
  let cuda = false
  if (!forceCpu) {
    try {
      const ort = await import('onnxruntime-node')
      const cudaListed = ort.listSupportedBackends().some((b) => b.name === 'cuda')
      // the CUDA provider library loads only with a driver and a device
      cuda = cudaListed && existsSync('/dev/nvidiactl') && existsSync('/dev/nvidia0')
    } catch {
      cuda = false
    }
  }
  return {
    nvenc,
    cuda,
    videoEncoder: nvenc ? 'h264_nvenc' : 'libx264',
    onnxProviders: cuda ? ['cuda', 'cpu'] : ['cpu'],
    forcedCpu: forceCpu,
  }
}
