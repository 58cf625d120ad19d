import { createHash } from 'node:crypto';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * A link from another site opens /debugger without the SameSite=Strict session
 * cookie; one reload started by this page itself carries it. A second 401 (or
 * a token in the URL) means the session really is missing or wrong.
 */
const retryScript = String.raw`
const key = 'signal-admin-retried';
const hint = document.getElementById('hint');
if (new URLSearchParams(location.search).has('token')) {
  hint.textContent = 'That token does not match the admin token.';
} else if (!sessionStorage.getItem(key)) {
  sessionStorage.setItem(key, '1');
  location.replace(location.href);
} else {
  sessionStorage.removeItem(key);
}
`;

export const unauthorizedCsp = `default-src 'none'; script-src ${sha256(retryScript)}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

/** The 401 page of the admin surface's HTML routes. */
export const unauthorizedHtml = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>Signal event debugger: unauthorized</title></head>
<body>
<h1>Unauthorized</h1>
<p>The event debugger needs the admin token: open <code>/debugger?token=&lt;admin token&gt;</code> once (the page then keeps a session cookie).
The token is <code>server.admin_token</code>, or the one <code>signal start</code> generated in the data directory (<code>data/admin-token</code>).</p>
<p id="hint"></p>
<script>${retryScript}</script>
</body>
</html>
`;
