// The console's only way out: this origin's GraphQL API and export endpoints,
// with the signed-in user's bearer token (kept in sessionStorage, never in a URL).

const KEY = 'pm.token';

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  sessionStorage.setItem(KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
}

/** Thrown when the service refuses the token: the app goes back to sign-in. */
export class SignedOut extends Error {}

/**
 * For a view's catch: true if `err` says the token stopped working, after asking
 * the app to return to sign-in (the view then shows nothing); false for an error
 * the view should show.
 */
export function signedOut(err) {
  if (!(err instanceof SignedOut)) return false;
  window.dispatchEvent(new Event('pm:signed-out'));
  return true;
}

/** A GraphQL error the user should read: its message, code and field. */
export class Refused extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.extensions?.code;
    this.field = error.extensions?.field;
    this.errors = [error];
  }
}

/**
 * Runs one GraphQL operation. Resolves with `data`; rejects with `SignedOut` for
 * a refused token and `Refused` for the first error (all errors on `.errors`).
 */
export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch('graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token() ?? ''}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new Refused({ message: `The service cannot be reached (${err.message}).` });
  }
  if (response.status === 401) throw new SignedOut();
  const body = await response.json().catch(() => ({ errors: [{ message: `HTTP ${response.status}` }] }));
  const errors = body.errors ?? [];
  if (errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) throw new SignedOut();
  if (errors.length) {
    const refused = new Refused(errors[0]);
    refused.errors = errors;
    refused.data = body.data;
    throw refused;
  }
  return body.data;
}

/** Answers a match for the viewer's side: `ACCEPT` or `DECLINE`. */
export function respondToMatch(id, decision) {
  return gql('mutation($id: ID!, $d: MatchDecision!) { respondToMatch(id: $id, decision: $d) { id status } }',
    { id, d: decision });
}

/** GET of an export file with the token in the header; resolves with its blob. */
export async function download(path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token() ?? ''}` } });
  if (response.status === 401) throw new SignedOut();
  if (!response.ok) throw new Refused({ message: `${response.status}: ${(await response.text()).slice(0, 300)}` });
  return response.blob();
}

/**
 * Follows a subscription over graphql-transport-ws on this origin; calls `onNext`
 * with each payload's data and resolves when the server completes it (or the
 * socket closes). Resolves with false if the socket could not be used.
 */
export function subscribe(query, variables, onNext) {
  return new Promise((resolve) => {
    const url = new URL('graphql', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    let socket;
    try {
      socket = new WebSocket(url, 'graphql-transport-ws');
    } catch {
      resolve(false);
      return;
    }
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      try { socket.close(1000); } catch { /* already closed */ }
      resolve(value);
    };
    socket.onopen = () => socket.send(JSON.stringify({
      type: 'connection_init', payload: { Authorization: `Bearer ${token() ?? ''}` },
    }));
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (message.type === 'next') {
        if (message.payload?.data) onNext(message.payload.data);
      } else if (message.type === 'complete' || message.type === 'error') {
        finish(true);
      }
    };
    socket.onerror = () => finish(false);
    socket.onclose = () => finish(true);
  });
}
