// The log check of issue 6 item 4: a gateway's logs go to log collectors,
// support tickets and backups, so they must hold no password, token, code,
// client secret or email address. findLeaks reports each one found, redacted.

// Anything shaped like an email address, beyond the ones the run knows of.
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

// findLeaks returns one finding per (secret, log line), with the secret
// redacted in both the description and the line shown.
export function findLeaks(log, secrets) {
  const lines = log.split('\n');
  const findings = [];
  const known = secrets.filter((s) => s.value.length >= 6);
  lines.forEach((line, i) => {
    for (const s of known) {
      if (line.includes(s.value)) findings.push({ kind: s.kind, secret: redact(s.value), line: i + 1 });
    }
    for (const m of line.matchAll(EMAIL)) {
      if (!known.some((s) => s.value === m[0])) findings.push({ kind: 'email address', secret: redact(m[0]), line: i + 1 });
    }
  });
  return findings.map((f) => ({ ...f, text: redactLine(lines[f.line - 1], known) }));
}

// describe turns findings into a report a person can act on without the
// report itself leaking what it found.
export function describe(findings) {
  return findings.map((f) => `  line ${f.line}: ${f.kind} ${f.secret}\n      ${f.text}`).join('\n');
}

export function redact(value) {
  if (value.includes('@')) {
    const [local, domain] = value.split('@');
    return `${local.slice(0, 1)}…@${domain.slice(0, 1)}… (${value.length} chars)`;
  }
  return `${value.slice(0, 3)}… (${value.length} chars)`;
}

function redactLine(line, known) {
  let out = line;
  for (const s of known) out = out.split(s.value).join('[' + s.kind.toUpperCase() + ']');
  out = out.replace(EMAIL, '[EMAIL]');
  return out.length > 300 ? out.slice(0, 300) + '…' : out;
}
