/** The job was cancelled (control.cancel.<jobId>); ffmpeg has been killed. Never retried. */
export class JobCancelledError extends Error {
  override readonly name = 'JobCancelledError'
  constructor() {
    super('The job was cancelled.')
  }
}

/** The input can never succeed (e.g. not playable media); failing at once instead of retrying. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError'
  constructor(
    /** A stable code from schema's ErrorCode, e.g. UNSUPPORTED_MEDIA. */
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}
