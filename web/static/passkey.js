// Passkeys for coopgate's pages. WebAuthn is a JavaScript API, so this is
// the one script the site has; everything else works without it, and so do
// the authenticator app and recovery codes.
//
// A form marked data-passkey="get" (log in) or data-passkey="create" (add a
// passkey) runs the browser's ceremony when it is submitted: it asks
// data-options for the ceremony's options (POST, with the form's CSRF
// token), hands them to the browser, puts the answer as JSON in the form's
// hidden "credential" field, and posts the form as any other. Areas marked
// data-passkey-area stay hidden in browsers without passkeys.
(() => {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  const fromB64 = (s) => {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  };
  const toB64 = (buf) => {
    let s = '';
    for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const withIds = (list) => (list || []).map((c) => ({ ...c, id: fromB64(c.id) }));

  // The options as the server sends them (base64url strings) become what
  // the browser takes (bytes).
  const creationOptions = (o) => ({
    ...o, challenge: fromB64(o.challenge), user: { ...o.user, id: fromB64(o.user.id) },
    excludeCredentials: withIds(o.excludeCredentials),
  });
  const requestOptions = (o) => ({ ...o, challenge: fromB64(o.challenge), allowCredentials: withIds(o.allowCredentials) });

  // The answer, as PublicKeyCredential.toJSON() would give it.
  const answer = (cred) => {
    const r = cred.response;
    const response = { clientDataJSON: toB64(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64(r.authenticatorData);
      response.signature = toB64(r.signature);
      if (r.userHandle) response.userHandle = toB64(r.userHandle);
    }
    return {
      id: cred.id, rawId: toB64(cred.rawId), type: cred.type, response,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
    };
  };

  const ceremony = async (form) => {
    const res = await fetch(form.dataset.options, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'X-CSRF-Token': form.elements.csrf_token.value, Accept: 'application/json' },
    });
    if (!res.ok) throw new Error(`options: ${res.status}`);
    const options = await res.json();
    if (form.dataset.passkey === 'create') {
      return navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
    }
    return navigator.credentials.get({ publicKey: requestOptions(options.publicKey) });
  };

  const say = (form, text) => {
    const el = form.parentElement.querySelector('[data-passkey-error]');
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
  };

  for (const area of document.querySelectorAll('[data-passkey-area]')) area.hidden = false;
  for (const form of document.querySelectorAll('form[data-passkey]')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = form.elements.name;
      if (name && !name.value.trim()) {
        say(form, 'Give the passkey a name first.');
        name.focus();
        return;
      }
      say(form, '');
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      try {
        form.elements.credential.value = JSON.stringify(answer(await ceremony(form)));
        form.submit();
      } catch (err) {
        button.disabled = false;
        say(form, err && err.name === 'NotAllowedError'
          ? 'The passkey was not used: it was cancelled, or took too long. Try again.'
          : 'Passkeys are not working just now. Try again, or use another way.');
      }
    });
  }
})();
