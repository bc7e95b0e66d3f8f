import type { ApiEnv } from '@cutroom/schema'
import { createTransport, type Transporter } from 'nodemailer'
import type { Logger } from 'pino'

export interface Mail {
  to: string
  subject: string
  text: string
}

/** Sends mail over SMTP (`SMTP_URL`); null when no SMTP server is configured. */
export interface Mailer {
  send(mail: Mail): Promise<void>
  close(): void
}

export function createMailer(config: Pick<ApiEnv, 'SMTP_URL' | 'MAIL_FROM'>, log: Logger): Mailer | null {
  if (!config.SMTP_URL) return null
  const transport: Transporter = createTransport(config.SMTP_URL)
  return {
    async send(mail) {
      const info = await transport.sendMail({ from: config.MAIL_FROM, ...mail })
      log.debug({ messageId: info.messageId }, 'mail sent')
    },
    close: () => transport.close(),
  }
}
