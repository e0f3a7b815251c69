// 4. Apollo Client (core, InMemoryCache): a partner's result with a field it may
// not read (null, with its error) goes into the cache with no "Missing field"
// warning, and reads back as null. Run with `node --conditions=development` so
// Apollo's development checks (which print those warnings) are on; a control
// below proves they are.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { loadDevMessages, loadErrorMessages } from '@apollo/client/dev';
import { URL_HTTP, deadline, expect, fail, ok, post, token } from './lib.mjs';

deadline(60);
loadDevMessages();
loadErrorMessages();

// Apollo's development warnings go through console.warn / console.error (and
// debug/info for the chattier ones); this check's own lines use console.log.
const said = [];
let quiet = false; // the control's expected warning is not printed
for (const level of ['warn', 'error', 'debug', 'info']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    said.push({ level, text: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') });
    if (!quiet) original(...args);
  };
}
const print = (...args) => process.stdout.write(`${args.join(' ')}\n`);
const missingFieldWarnings = () => said.filter((s) => /missing field/i.test(s.text));

// A student matched to the partner (the only students a partner sees).
const page = await post(token('PARTNER'), '{ students(first: 1) { edges { node { id } } } }');
const studentId = page.data?.students?.edges?.[0]?.node?.id;
expect(studentId, 'the partner sees no student to ask about', page);

const QUERY = gql`
  query PartnerView($id: ID!, $other: ID!) {
    viewer { role }
    student(id: $id) { id firstName grade birthDate }
    other: student(id: $other) { id firstName }
  }
`;
// s-0001 is not matched to the partner in the demo district: `null`, with or without an error.
const variables = { id: studentId, other: studentId === 's-0001' ? 's-0002' : 's-0001' };

// --- The control: the capture sees Apollo's warning for a result that really lacks a field.
{
  quiet = true;
  const cache = new InMemoryCache();
  cache.writeQuery({
    query: QUERY,
    variables,
    data: { viewer: { __typename: 'Viewer', role: 'PARTNER' }, student: { __typename: 'Student', id: studentId, firstName: 'x', grade: 1 }, other: null },
  });
  expect(
    missingFieldWarnings().length > 0,
    'control failed: writing a result without birthDate printed no "Missing field" warning, so this check could not see one',
    said,
  );
  said.length = 0;
  quiet = false;
  ok('control: a result without the birthDate key makes Apollo warn "Missing field"');
}

// --- The real client over HTTP: errorPolicy 'all' keeps the data beside the errors,
// and Apollo writes it to its cache.
const client = new ApolloClient({ link: new HttpLink({ uri: URL_HTTP(), headers: { authorization: `Bearer ${token('PARTNER')}` } }), cache: new InMemoryCache() });
const result = await client.query({ query: QUERY, variables, errorPolicy: 'all', fetchPolicy: 'network-only' });
print(`  partner's result: data=${JSON.stringify(result.data)} error=${result.error?.message ?? 'none'}`);
expect(result.data?.student?.firstName, 'Apollo gave no student data for the partner', result);
expect('birthDate' in result.data.student && result.data.student.birthDate === null, 'student.birthDate is not present-and-null in Apollo\'s result', result.data);
expect('other' in result.data && result.data.other === null, 'a student the partner may not see is not present-and-null', result.data);
expect(result.error, 'the partner read birthDate without an error', result);
const fromClientCache = client.readQuery({ query: QUERY, variables });
expect(fromClientCache?.student?.birthDate === null && fromClientCache.other === null, 'Apollo\'s cache does not hold the partial result (readQuery)', fromClientCache);

// --- The raw result, written with cache.writeQuery and read back.
const raw = await post(token('PARTNER'), QUERY.loc.source.body, variables);
expect(raw.errors?.some((e) => e.path?.join('.') === 'student.birthDate' && e.extensions?.code === 'FORBIDDEN'), 'no FORBIDDEN error at student.birthDate', raw);
const cache = new InMemoryCache();
cache.writeQuery({ query: QUERY, variables, data: raw.data });
const back = cache.readQuery({ query: QUERY, variables });
expect(back?.student?.birthDate === null && back.student.firstName === raw.data.student.firstName && back.other === null, 'cache.readQuery does not give the written partial result back', back);

const warnings = missingFieldWarnings();
if (warnings.length > 0) fail(`Apollo warned while writing the partner's result:\n  ${warnings.map((w) => w.text).join('\n  ')}`);
const other = said.filter((s) => s.level === 'warn' || s.level === 'error');
if (other.length > 0) fail(`Apollo printed warnings or errors:\n  ${other.map((w) => w.text).join('\n  ')}`);
ok(`a partner's partial result (student ${studentId}: birthDate null with FORBIDDEN; another student null) is written (by the client and by cache.writeQuery) and read back with no warning`);
await client.stop?.();
