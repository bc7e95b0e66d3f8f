/** Told how long each ffmpeg/ffprobe run or ONNX inference took; the worker's metrics implement it. */
export type ToolTimer = (tool: 'ffmpeg' | 'ffprobe' | 'onnx', seconds: number, path: string) => void
