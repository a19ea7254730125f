// Passkeys in the journeys: Chromium's virtual authenticator, reached
// through the DevTools protocol (WebAuthn domain) from playwright-core's CDP
// session. It stands for a phone or laptop with a fingerprint reader: it
// keeps discoverable credentials and verifies its user without asking.
//
// The authenticator belongs to the page's target, so it survives
// navigations and cleared cookies, not a new page or browser context.

// addVirtualAuthenticator gives actor's page an authenticator, and returns
// a way to list the credentials it holds.
export async function addVirtualAuthenticator(actor) {
  const cdp = await actor.context.newCDPSession(actor.page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', ctap2Version: 'ctap2_1', transport: 'internal',
      hasResidentKey: true, hasUserVerification: true, isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
  };
}

// keepChallenges adds the challenge of every passkey ceremony the actor's
// browser answers to the secrets the gateway's log must not hold, and to
// seen. It reads them from the forms the pages post (the challenge is in
// the answer's clientDataJSON), not from the */options answers, whose
// bodies a navigation right after may discard before they can be read.
export function keepChallenges(actor, secrets, seen) {
  actor.page.on('request', (req) => {
    if (req.method() !== 'POST') return;
    const credential = new URLSearchParams(req.postData() ?? '').get('credential');
    if (!credential) return;
    const clientData = JSON.parse(credential).response?.clientDataJSON;
    const { challenge } = JSON.parse(Buffer.from(clientData ?? '', 'base64url').toString() || '{}');
    if (!challenge) return;
    seen.push(challenge);
    secrets.add('WebAuthn challenge', challenge);
  });
}
