// 2. graphql-codegen (@graphql-codegen/cli + @graphql-codegen/typescript) loading the
// schema from the running server's URL with the bearer token, as a client project
// would, not from schema.graphql; the generated TypeScript has the root types and
// the schema's enums as enums (not `string`).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { URL_HTTP, deadline, expect, fail, ok, token } from './lib.mjs';

deadline(90);
const dir = mkdtempSync(join(tmpdir(), 'codegen-'));
const output = join(dir, 'types.ts');
try {
  await generate(
    {
      overwrite: true,
      silent: true,
      // The URL, with the header a client project puts in its codegen config.
      schema: [{ [URL_HTTP()]: { headers: { Authorization: `Bearer ${token('ADMIN')}` } } }],
      generates: { [output]: { plugins: ['typescript'] } },
      // Plugins from this directory's node_modules, whatever the working directory.
      pluginLoader: (name) => import(name),
    },
    true,
  );
} catch (err) {
  fail(`graphql-codegen could not generate types from ${URL_HTTP()}: ${err.stack ?? err}`);
}
expect(existsSync(output), `graphql-codegen wrote no ${output}`);
const types = readFileSync(output, 'utf8');
for (const wanted of [
  'export type Query = {',
  'export type Mutation = {',
  'export type Subscription = {',
  'export enum Weekday {',
  'export enum OpeningKind {',
  'export enum MatchRunPhase {',
  'day: Weekday;',
]) {
  expect(types.includes(wanted), `the generated types lack \`${wanted}\` (${output}, ${types.length} bytes)`);
}
ok(`graphql-codegen from the URL: ${types.split('\n').length} lines with Query, Mutation, Subscription and enums Weekday, OpeningKind, MatchRunPhase`);
rmSync(dir, { recursive: true, force: true });
