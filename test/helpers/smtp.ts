import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Received {
  to: string[];
  data: string;
}

/**
 * A real SMTP server on loopback that keeps what it receives (and can refuse, to act as an outage). A test
 * can do something of its own while a mail waits for the answer (`beforeAnswer`).
 */
export async function startSmtp(): Promise<{
  url: string;
  received: Received[];
  refuse: boolean;
  beforeAnswer: (() => Promise<void>) | null;
  stop(): Promise<void>;
}> {
  const state = {
    received: [] as Received[],
    refuse: false,
    beforeAnswer: null as (() => Promise<void>) | null,
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        void (state.beforeAnswer?.() ?? Promise.resolve()).then(() => {
          if (state.refuse) return callback(new Error('mailbox unavailable'));
          state.received.push({ to: session.envelope.rcptTo.map((r) => r.address), data });
          callback();
        });
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return Object.assign(state, {
    url: `smtp://127.0.0.1:${port}`,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  });
}
