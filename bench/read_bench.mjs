// Read benchmark: partnermatch against PostGraphile 4 on the same PostgreSQL database.
//
//   node bench/read_bench.mjs CONFIG.json
//
// bench/read.sh writes CONFIG (the servers, tokens and ids it picked) and runs this.
// For each query, every target is first asked once and must answer without errors and
// with the same number of rows as the first target (the same data, not only the same
// shape); then ROUNDS rounds of autocannon, the targets in turn inside each round
// (ours, theirs, ours on SQLite, ours, theirs, ...), so that the machine's noise falls on
// all of them alike. One markdown table per query is appended to the output file:
// requests/s and p99 per round, their medians, and each target's median ratio to the
// peer (requests/s: ours / theirs, higher is better; p99: ours / theirs, lower is better).
import { readFileSync, appendFileSync } from "node:fs";
import { createRequire } from "node:module";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const require = createRequire(config.nodeModules + "/");
const autocannon = require("autocannon");

// Our servers are asked with the query's token; PostGraphile has no auth layer.
function request(target, query) {
  const token = target.dialect === "ours" ? config.tokens[query.token] : null;
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: query.text[target.dialect] }),
  };
}

// Follows `path` (field names) through the response and counts the rows at its end.
function rows(data, path) {
  let here = [data];
  for (const step of path) {
    here = here.flatMap((value) => {
      const next = value?.[step];
      return Array.isArray(next) ? next : next === undefined || next === null ? [] : [next];
    });
  }
  return here.length;
}

async function check(target, query) {
  const { method, headers, body } = request(target, query);
  const response = await fetch(target.url, { method, headers, body });
  const json = await response.json();
  if (!response.ok || json.errors) {
    throw new Error(`${target.name} / ${query.name}: HTTP ${response.status} ${JSON.stringify(json.errors ?? json)}`);
  }
  return rows(json.data, query.rows[target.dialect]);
}

function run(target, query) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.url,
        connections: config.connections,
        duration: config.duration,
        ...request(target, query),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    instance.on("error", reject);
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const lines = [];
const say = (line) => {
  lines.push(line);
  console.log(line);
};
say(`\n## ${config.date}, commit ${config.commit}: ${config.rounds} rounds × ${config.duration} s, ${config.connections} connections\n`);

for (const query of config.queries) {
  const counts = [];
  for (const target of config.targets) counts.push(await check(target, query));
  if (counts.some((count) => count !== counts[0]) || counts[0] === 0) {
    throw new Error(`${query.name}: the targets answer different rows: ${counts.join(" / ")}`);
  }
  const results = Object.fromEntries(config.targets.map((target) => [target.name, []]));
  for (let round = 0; round < config.rounds; round += 1) {
    for (const target of config.targets) {
      const result = await run(target, query);
      const failed = result.non2xx + result.errors + result.timeouts;
      if (failed > 0 || result.requests.total === 0) {
        throw new Error(`${target.name} / ${query.name}: ${failed} failed requests of ${result.requests.total}`);
      }
      results[target.name].push({ rps: result.requests.average, p99: result.latency.p99 });
      console.error(`${query.name} round ${round + 1} ${target.name}: ${result.requests.average} req/s, p99 ${result.latency.p99} ms`);
    }
  }
  const peer = config.targets.find((target) => target.peer).name;
  const peerRps = results[peer].map((r) => r.rps);
  const peerP99 = results[peer].map((r) => r.p99);
  say(`### ${query.name} (${counts[0]} rows)\n`);
  say(`| target | requests/s per round | median | p99 per round (ms) | median p99 | requests/s ÷ ${peer} | p99 ÷ ${peer} |`);
  say("|---|---|---:|---|---:|---:|---:|");
  for (const target of config.targets) {
    const mine = results[target.name];
    // The ratio of each round to the same round's peer, then the median of those.
    const rpsRatio = median(mine.map((r, i) => r.rps / peerRps[i]));
    const p99Ratio = median(mine.map((r, i) => r.p99 / peerP99[i]));
    say(
      `| ${target.name} | ${mine.map((r) => Math.round(r.rps)).join(", ")} | ${Math.round(median(mine.map((r) => r.rps)))} ` +
        `| ${mine.map((r) => r.p99).join(", ")} | ${median(mine.map((r) => r.p99))} | ${rpsRatio.toFixed(2)} | ${p99Ratio.toFixed(2)} |`,
    );
  }
  say("");
}
appendFileSync(config.out, lines.join("\n") + "\n");
