// 6. CORS, as a browser's preflight asks it: a listed origin (clients.sh starts the
// server with --cors-origins http://portal.example) is allowed POST with the
// Authorization and Content-Type headers; an unlisted one gets no
// Access-Control-Allow-Origin. Then the actual request of the listed origin.
import { URL_HTTP, deadline, expect, ok, token } from './lib.mjs';

deadline(30);
const LISTED = 'http://portal.example';
const UNLISTED = 'http://evil.example';

async function preflight(origin) {
  const response = await fetch(URL_HTTP(), {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
  const headers = Object.fromEntries(response.headers);
  return { status: response.status, headers };
}

const listed = await preflight(LISTED);
expect(listed.status === 204, `preflight from ${LISTED}: status ${listed.status}, expected 204`, listed);
expect(listed.headers['access-control-allow-origin'] === LISTED, `preflight from ${LISTED}: access-control-allow-origin is not ${LISTED}`, listed);
const methods = (listed.headers['access-control-allow-methods'] ?? '').toLowerCase();
expect(methods.split(/\s*,\s*/).includes('post'), `preflight from ${LISTED}: POST is not in access-control-allow-methods`, listed);
const allowed = (listed.headers['access-control-allow-headers'] ?? '').toLowerCase().split(/\s*,\s*/);
expect(['authorization', 'content-type'].every((h) => allowed.includes(h)), `preflight from ${LISTED}: access-control-allow-headers lacks authorization or content-type`, listed);
expect(listed.headers['access-control-allow-credentials'] === undefined, `preflight from ${LISTED}: credentials allowed, though tokens never travel in cookies`, listed);
ok(`preflight from ${LISTED}: 204, allow-origin ${LISTED}, methods "${listed.headers['access-control-allow-methods']}", headers "${listed.headers['access-control-allow-headers']}"`);

const unlisted = await preflight(UNLISTED);
expect(unlisted.headers['access-control-allow-origin'] === undefined, `preflight from ${UNLISTED}: it got access-control-allow-origin`, unlisted);
expect(unlisted.headers['access-control-allow-methods'] === undefined && unlisted.headers['access-control-allow-headers'] === undefined, `preflight from ${UNLISTED}: it got access-control-allow-* headers`, unlisted);
ok(`preflight from ${UNLISTED}: ${unlisted.status}, no access-control-allow-* headers`);

// The request after the preflight: the answer names the listed origin, not the unlisted one.
for (const [origin, allowedOrigin] of [[LISTED, LISTED], [UNLISTED, undefined]]) {
  const response = await fetch(URL_HTTP(), {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${token('ADMIN')}` },
    body: JSON.stringify({ query: '{ viewer { role } }' }),
  });
  const body = await response.json();
  expect(response.status === 200 && body.data?.viewer?.role === 'ADMIN', `POST from ${origin} failed`, body);
  const got = response.headers.get('access-control-allow-origin') ?? undefined;
  expect(got === allowedOrigin, `POST from ${origin}: access-control-allow-origin is ${got}, expected ${allowedOrigin}`);
}
ok(`POST from ${LISTED} carries access-control-allow-origin; from ${UNLISTED} it does not`);
