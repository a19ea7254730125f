// A mail server for the journeys: real SMTP on loopback (smtp-server), each
// message parsed (mailparser) and kept in memory, so a test reads the mail a
// person would get, after it has crossed the wire as it would in production.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export class MailCatcher {
  #server;
  #messages = [];
  #waiters = new Set();

  // start listens on 127.0.0.1 on a free port.
  async start() {
    this.#server = new SMTPServer({
      name: 'mailcatcher.localhost',
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'], // coopgate's smtp.tls is "none" here
      logger: false,
      onData: (stream, session, done) => this.#receive(stream, session, done),
    });
    this.#server.on('error', (err) => console.error('mailcatcher:', err.message));
    await new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', resolve);
    });
    this.port = this.#server.server.address().port;
    return this;
  }

  async #receive(stream, session, done) {
    try {
      const parsed = await simpleParser(stream);
      const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
      const msg = { to, subject: parsed.subject ?? '', text: parsed.text ?? '', html: parsed.html || '' };
      this.#messages.push(msg);
      for (const w of this.#waiters) w();
      done();
    } catch (err) {
      done(err);
    }
  }

  // all is every message received, oldest first.
  get all() {
    return [...this.#messages];
  }

  // waitFor resolves with the first message to `to` whose subject matches
  // `subject` (a RegExp) that no earlier waitFor returned; it rejects after
  // timeoutMs, naming what did arrive.
  waitFor(to, subject = /./, timeoutMs = 20000) {
    const want = to.toLowerCase();
    const find = () => this.#messages.find((m) => !m.taken && m.to.includes(want) && subject.test(m.subject));
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = find();
        if (!m) return;
        m.taken = true;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        const seen = this.#messages.map((m) => `${m.to.join(',')}: ${m.subject}`).join('; ') || 'none';
        reject(new Error(`no mail to ${to} with subject ${subject} within ${timeoutMs} ms (received: ${seen})`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  async stop() {
    if (this.#server) await new Promise((resolve) => this.#server.close(resolve));
  }
}

// findLink returns the first URL in text that starts with prefix.
export function findLink(text, prefix) {
  const urls = text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? [];
  const link = urls.find((u) => u.startsWith(prefix));
  if (!link) throw new Error(`no link starting with ${prefix} in:\n${text}`);
  return link;
}
