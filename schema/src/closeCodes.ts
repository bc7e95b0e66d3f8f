/** WebSocket close codes of the collab server, shared by server and client. */
export const CloseCode = {
  UNAUTHORIZED: 4401,
  FORBIDDEN: 4403,
  UPDATE_TOO_LARGE: 4413,
  TOO_MANY_CONNECTIONS: 4429,
  MALFORMED_MESSAGE: 4400,
  /** The connection's rights changed (e.g. a role change): the client reconnects and is authorized afresh. */
  REAUTHENTICATE: 4205,
  /** A change that would leave the document invalid (its model's validator), or that @mentions a non-member. */
  INVALID_UPDATE: 4422,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

export const CloseReason: Record<CloseCode, string> = {
  4401: 'Unauthorized: sign in again',
  4403: 'Forbidden: this document does not exist or you have no access to it',
  4413: 'Update too large',
  4429: 'Too many connections for this user',
  4400: 'Malformed message',
  4205: 'Access changed: reconnect',
  4422: 'Refused: the change would make the document invalid',
}
