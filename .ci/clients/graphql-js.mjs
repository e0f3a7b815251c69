// 1. graphql-js, the reference implementation: the standard introspection query
// (what GraphiQL, codegen, Apollo and Postman send) as ADMIN, the schema it
// describes equal to schema.graphql, and every GraphQL operation of the README
// (and of docs/*.md) valid against it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Kind,
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  lexicographicSortSchema,
  parse,
  printSchema,
  validate,
} from 'graphql';
import { deadline, expect, fail, ok, post, repoFile, token } from './lib.mjs';

deadline(60);
const normalise = (schema) => printSchema(lexicographicSortSchema(schema));

// --- Introspection, default options and every option GraphiQL/codegen may turn on.
const variants = {
  default: getIntrospectionQuery(),
  'every option': getIntrospectionQuery({
    descriptions: true,
    specifiedByUrl: true,
    directiveIsRepeatable: true,
    schemaDescription: true,
    inputValueDeprecation: true,
  }),
};
let served;
for (const [name, query] of Object.entries(variants)) {
  const response = await post(token('ADMIN'), query);
  expect(!response.errors, `getIntrospectionQuery() (${name}) as ADMIN answered errors`, response.errors);
  expect(response.data?.__schema, `getIntrospectionQuery() (${name}) gave no data.__schema`, response);
  let schema;
  try {
    schema = buildClientSchema(response.data);
  } catch (err) {
    fail(`buildClientSchema refused the introspection result (${name}): ${err.message}`);
  }
  ok(`getIntrospectionQuery() (${name}) as ADMIN, buildClientSchema accepted it`);
  served ??= schema;
}

// --- The served schema equals schema.graphql once both are normalised.
let file;
try {
  file = buildSchema(repoFile('schema.graphql'));
} catch (err) {
  fail(`schema.graphql does not build with graphql-js: ${err.message}`);
}
const fromServer = normalise(served);
const fromFile = normalise(file);
if (fromServer !== fromFile) {
  const dir = mkdtempSync(join(tmpdir(), 'schema-diff-'));
  writeFileSync(join(dir, 'schema.graphql.normalised'), fromFile);
  writeFileSync(join(dir, 'introspected.normalised'), fromServer);
  const diff = spawnSync('diff', ['-u', 'schema.graphql.normalised', 'introspected.normalised'], {
    cwd: dir,
    encoding: 'utf8',
  });
  console.error(diff.stdout.split('\n').slice(0, 200).join('\n'));
  fail(
    'the introspected schema differs from schema.graphql (after lexicographicSortSchema + printSchema); ' +
      `diff above (first 200 lines), both files in ${dir}`,
  );
}
ok(`introspected schema == schema.graphql (${fromFile.split('\n').length} lines normalised)`);

// --- Every operation in the README (and docs/*.md) validates against it.
//
// Two places hold operations: ```graphql fenced blocks, and the JSON request
// bodies of the shell tour (`q $TOKEN '{"query":"…"}'`), which are the README's
// actual operations (the README has few or no ```graphql blocks). A ```graphql
// block made only of type-system definitions (SDL) is documentation of the schema,
// not an operation: it is reported and skipped. A block mixing both is refused.
function operationsOf(path, text) {
  const found = [];
  const fence = /^```([a-z]*)[^\n]*\n([\s\S]*?)^```/gm;
  for (const match of text.matchAll(fence)) {
    const [, lang, body] = match;
    const line = text.slice(0, match.index).split('\n').length;
    if (lang === 'graphql') {
      found.push({ where: `${path}:${line} (graphql block)`, source: body });
    } else if (lang === 'sh' || lang === 'bash' || lang === 'shell') {
      body.split('\n').forEach((shellLine, i) => {
        for (const json of shellLine.matchAll(/'(\{"query".*?\})'/g)) {
          let request;
          try {
            request = JSON.parse(json[1]);
          } catch (err) {
            fail(`${path}:${line + 1 + i}: the request body is not JSON (${err.message}): ${json[1]}`);
          }
          found.push({ where: `${path}:${line + 1 + i} (curl body)`, source: request.query });
        }
      });
    }
  }
  return found;
}

const documents = ['README.md', ...readdirSync(join(process.env.PM_REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
let validated = 0;
let fromReadme = 0;
const problems = [];
for (const path of documents) {
  for (const { where, source } of operationsOf(path, repoFile(path))) {
    let document;
    try {
      document = parse(source);
    } catch (err) {
      problems.push(`${where}: does not parse: ${err.message}\n    ${source}`);
      continue;
    }
    const executable = document.definitions.filter(
      (d) => d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION,
    );
    if (executable.length === 0) {
      console.log(`  skipped: ${where}: type-system definitions (SDL), not an operation`);
      continue;
    }
    if (executable.length !== document.definitions.length) {
      problems.push(`${where}: mixes operations and type-system definitions`);
      continue;
    }
    const errors = validate(served, document);
    if (errors.length > 0) {
      problems.push(`${where}:\n    ${source}\n    ${errors.map((e) => e.message).join('\n    ')}`);
    }
    validated += 1;
    if (path === 'README.md') fromReadme += 1;
  }
}
if (problems.length > 0) fail(`${problems.length} documented operation(s) do not validate:\n  ${problems.join('\n  ')}`);
expect(fromReadme >= 10, `found only ${fromReadme} operations in README.md (expected the tour's dozen): is the extraction broken?`);
ok(`validate(): ${validated} documented operations (${fromReadme} from README.md), 0 errors`);
