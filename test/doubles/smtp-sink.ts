// A local SMTP server (the `smtp-server` package) standing in for a mail relay: it requires AUTH with the configured
// users when there are any (and refuses mail without it: 530), refuses unknown users (535), answers recipients it is
// told to refuse with their reply (e.g. 550 no such user, 450 mailbox busy), enforces a SIZE limit (552), and records
// every accepted mail parsed with `mailparser`. STARTTLS is not offered (smtp-server's built-in certificate has
// expired, and the relay verifies certificates), so a client that requires TLS gets nothing to upgrade to.
//
//   const sink = await startSmtpSink({ users: [{ username: 'relay', password: 'pw' }] });
//   sink.port, sink.mails, sink.failNext(1, 421 | 451 | 554 | …), await sink.close()
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface SmtpUser {
  username: string;
  password: string;
}

export interface SmtpSinkOptions {
  /** Accounts AUTH accepts; when given, mail without AUTH is refused. Without users the server takes mail unauthenticated. */
  users?: SmtpUser[];
  /** Recipients refused, with the reply code (4xx transient, 5xx permanent). */
  refuseRecipients?: Record<string, number>;
  /** SIZE limit in bytes. */
  maxBytes?: number;
}

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** The AUTH user, when the session authenticated. */
  user?: string;
  parsed: ParsedMail;
  raw: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  mails: ReceivedMail[];
  /** The next `count` mails are refused at DATA with this reply code (421 also ends the connection). */
  failNext(count: number, responseCode: number): void;
  close(): Promise<void>;
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const failures: number[] = [];
  const users = options.users ?? [];

  const server = new SMTPServer({
    logger: false,
    banner: 'Vigil SMTP sink',
    authOptional: users.length === 0,
    allowInsecureAuth: true,
    disabledCommands: [...(users.length === 0 ? ['AUTH'] : []), 'STARTTLS'],
    size: options.maxBytes,
    onAuth(auth, _session, callback) {
      const known = users.some((u) => u.username === auth.username && u.password === auth.password);
      if (!known) return callback(smtpError('Authentication credentials invalid', 535));
      callback(null, { user: auth.username });
    },
    onMailFrom(_address, session, callback) {
      if (users.length > 0 && !session.user) return callback(smtpError('Authentication required', 530));
      callback();
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const code = options.refuseRecipients?.[address.address];
      if (code !== undefined) return callback(smtpError(`Mailbox ${address.address} refused`, code));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const failure = failures.shift();
        if (failure !== undefined) return callback(smtpError(`Injected failure ${failure}`, failure));
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) return callback(smtpError('Message exceeds fixed maximum message size', 552));
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
            mails.push({ envelope: { from, to: session.envelope.rcptTo.map((r) => r.address) }, user: session.user as string | undefined, parsed, raw: raw.toString('utf8') });
            callback(null, 'Message queued');
          },
          (error: unknown) => callback(smtpError(`Message not parsed: ${String(error)}`, 554)),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return {
    host: '127.0.0.1',
    port,
    mails,
    failNext(count, responseCode) {
      for (let i = 0; i < count; i++) failures.push(responseCode);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
