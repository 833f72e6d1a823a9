/** The one error of the alert channels: which channel and target, why (already free of credentials), and whether a retry can help. */
export class ChannelError extends Error {
  constructor(
    readonly channel: 'email' | 'syslog' | 'webhook',
    message: string,
    /** true: the receiver refused this message for good (a 5xx recipient refusal, an HTTP 4xx); retrying cannot help. */
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChannelError';
  }
}

/** A short reason from a socket-level error (code first: ECONNREFUSED, ETIMEDOUT, ...). */
export function socketReason(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const known = (c?: string) => (c && /^E[A-Z]+$/.test(c) ? c : undefined);
  // nodemailer wraps the socket error (code ECONNECTION, the errno only in the message).
  const code = [e?.code, e?.cause?.code, /\b(E[A-Z]{4,})\b/.exec(e?.message ?? '')?.[1]].map(known).find((c) => c && c !== 'ECONNECTION' && c !== 'ESOCKET');
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused', ETIMEDOUT: 'timed out', ECONNRESET: 'connection reset', EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable', ENOTFOUND: 'host not found', EAI_AGAIN: 'host name lookup failed', EPIPE: 'connection closed',
  };
  if (code && words[code]) return `${words[code]} (${code})`;
  return e?.cause?.message ?? e?.message ?? String(err);
}
