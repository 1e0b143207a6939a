// The sign-in message, in text and branded HTML. The code stands alone on its
// own line in the text so a person (or a test) can pick it out.
import type { MailMessage } from '../infra/mailer.js';

export function loginCodeEmail(to: string, code: string, ttlSeconds: number): MailMessage {
  const minutes = Math.round(ttlSeconds / 60);
  const text = [
    'Your monitors-mcp sign-in code:',
    '',
    code,
    '',
    `It works once and expires in ${minutes} minutes. Give it to your assistant to finish signing in.`,
    'If you did not ask for it, ignore this message: nobody can sign in without the code.',
  ].join('\n');
  const html = `<!doctype html>
<html><body style="margin:0;padding:0;background:#f4f6f8;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:32px 12px">
<table role="presentation" width="480" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:8px;overflow:hidden">
<tr><td style="background:#0f766e;color:#ffffff;padding:18px 24px;font-size:18px;font-weight:600">monitors-mcp</td></tr>
<tr><td style="padding:24px">
<p style="margin:0 0 16px">Your sign-in code:</p>
<p style="margin:0 0 16px;font-size:32px;letter-spacing:6px;font-weight:700;font-family:Menlo,Consolas,monospace">${code}</p>
<p style="margin:0 0 8px">It works once and expires in ${minutes} minutes. Give it to your assistant to finish signing in.</p>
<p style="margin:0;color:#616e7c;font-size:13px">If you did not ask for it, ignore this message: nobody can sign in without the code.</p>
</td></tr></table>
<p style="color:#9aa5b1;font-size:12px">Sent to ${escapeHtml(to)} by monitors-mcp.</p>
</td></tr></table></body></html>`;
  return { to, subject: 'Your monitors-mcp sign-in code', text, html };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
