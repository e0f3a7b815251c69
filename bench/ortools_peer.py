#!/usr/bin/env python3
"""Peer check of `partnermatch match` against OR-tools min-cost max-flow.

Usage:
    python bench/ortools_peer.py --instance instance.json --result result.json [--json]

`result.json` must come from `partnermatch match --input instance.json --candidates`.
For each kind (INTERNSHIP, MENTORING, TUTORING) the candidate pairs of the result, with
their scores, are solved again as a maximum flow of minimum cost:

    source -> need (studentId, kind)   capacity 1, cost 0
    need   -> opening (candidate pair) capacity 1, cost -score
    opening -> sink                    capacity = free slots
                                       (capacity - existing matches; skipped if <= 0)

A maximum flow is a maximum-cardinality assignment, and among those the minimum cost is
the maximum total score -- the objective of docs/matching.md. OR-tools' matched count and total
score must equal ours (count and score sum of our assignments of that kind). Our
assignments are also checked for consistency: each one is a candidate pair of its kind with
the same score, each need is matched at most once, and no opening exceeds its free slots.

Exit status: 0 if every kind agrees, 1 if any kind disagrees, 2 on bad input.
"""

import argparse
import gc
import json
import sys
import time
from array import array

import numpy as np
from ortools.graph.python import min_cost_flow

KINDS = ("INTERNSHIP", "MENTORING", "TUTORING")
KIND_INDEX = {k: i for i, k in enumerate(KINDS)}


class InputError(Exception):
    pass


def load_json(path, hook):
    """json.load with the cyclic GC off (it otherwise rescans millions of new objects)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f, object_hook=hook)
    finally:
        if enabled:
            gc.enable()


def read_instance(path):
    """Openings (id -> index, kind, free slots); students are dropped while parsing."""
    n_students = [0]

    def hook(d):
        # Only student objects have "needs"; we do not need them (needs come from the
        # candidate pairs), so drop them as soon as they are built.
        if "needs" in d and "grade" in d:
            n_students[0] += 1
            return None
        return d

    inst = load_json(path, hook)
    if not isinstance(inst, dict):
        raise InputError(f"{path}: not a JSON object")
    openings = inst.get("openings") or []
    open_index = {}
    open_ids = []
    kind = np.empty(len(openings), dtype=np.int8)
    capacity = np.empty(len(openings), dtype=np.int64)
    for i, o in enumerate(openings):
        oid = o["id"]
        if oid in open_index:
            raise InputError(f"{path}: openings[{i}]: duplicate id {oid!r}")
        if o["kind"] not in KIND_INDEX:
            raise InputError(f"{path}: openings[{i}]: unknown kind {o['kind']!r}")
        open_index[oid] = i
        open_ids.append(oid)
        kind[i] = KIND_INDEX[o["kind"]]
        capacity[i] = int(o["capacity"])
    taken = np.zeros(len(openings), dtype=np.int64)
    for j, m in enumerate(inst.get("existingMatches") or []):
        oid = m["openingId"]
        if oid not in open_index:
            raise InputError(f"{path}: existingMatches[{j}]: unknown opening {oid!r}")
        taken[open_index[oid]] += 1
    return {
        "students": n_students[0],
        "open_index": open_index,
        "open_ids": open_ids,
        "open_kind": kind,
        "free": capacity - taken,
    }


class _Row:
    """Stands, in the parsed tree, for an object the hook stored as a candidate row."""
    __slots__ = ()


_ROW = _Row()
_CAND_KEYS = ("studentId", "openingId", "kind", "score")


def read_result(path, open_index):
    """Candidates straight into compact arrays; assignments and stats as plain JSON.

    Every object with exactly the keys studentId, openingId, kind, score is stored as a
    row of the arrays, in document order, and replaced by a shared marker, so 25M
    candidates cost ~17 bytes each instead of a dict and three strings each.
    """
    student_index = {}
    unknown_openings = {}
    sid = array("i")
    oid = array("i")
    knd = array("b")
    score = array("q")
    sid_append, oid_append = sid.append, oid.append
    knd_append, score_append = knd.append, score.append
    n_open = len(open_index)
    student_get, open_get, kind_get = student_index.get, open_index.get, KIND_INDEX.get

    def store(s, o, k, sc):
        kn = kind_get(k)
        if kn is None:
            raise InputError(f"{path}: candidate with unknown kind {k!r}")
        if type(sc) is not int:
            raise InputError(f"{path}: candidate ({s}, {o}) with score {sc!r}")
        si = student_get(s)
        if si is None:
            si = student_index[s] = len(student_index)
        oi = open_get(o)
        if oi is None:  # reported as an error below; give it an id of its own
            oi = unknown_openings.setdefault(o, n_open + len(unknown_openings))
        sid_append(si)
        oid_append(oi)
        knd_append(kn)
        score_append(sc)
        return _ROW

    def hook(pairs):
        if len(pairs) == 4:
            (k0, s), (k1, o), (k2, k), (k3, sc) = pairs
            if k0 == "studentId" and k1 == "openingId" and k2 == "kind" and k3 == "score":
                return store(s, o, k, sc)
            d = dict(pairs)
            if len(d) == 4 and all(key in d for key in _CAND_KEYS):
                return store(*(d[key] for key in _CAND_KEYS))
            return d
        return dict(pairs)

    enabled = gc.isenabled()
    gc.disable()
    try:
        with open(path, encoding="utf-8") as f:
            res = json.load(f, object_pairs_hook=hook)
    finally:
        if enabled:
            gc.enable()
    if not isinstance(res, dict):
        raise InputError(f"{path}: not a JSON object")
    cand_list = res.get("candidates")
    if not isinstance(cand_list, list):
        raise InputError(f"{path}: no \"candidates\" (run `partnermatch match` with --candidates)")
    n_rows = len(score)
    rows = {
        "sid": np.frombuffer(sid, dtype=np.int32).copy(),
        "oid": np.frombuffer(oid, dtype=np.int32).copy(),
        "kind": np.frombuffer(knd, dtype=np.int8).copy(),
        "score": np.frombuffer(score, dtype=np.int64).copy(),
    }
    del sid, oid, knd, score, sid_append, oid_append, knd_append, score_append

    if len(cand_list) != n_rows or cand_list.count(_ROW) != n_rows:
        # Some rows are not candidates (e.g. an assignment without breakdown and sessions),
        # or some candidate is malformed: walk the tree in document order, give the rows
        # outside "candidates" back as objects, and select the candidates' rows.
        student_names = [None] * len(student_index)
        for s, i in student_index.items():
            student_names[i] = s
        opening_names = [None] * (n_open + len(unknown_openings))
        for o, i in list(open_index.items()) + list(unknown_openings.items()):
            opening_names[i] = o
        next_row = [0]

        def take():
            r = next_row[0]
            next_row[0] = r + 1
            return {"studentId": student_names[int(rows["sid"][r])],
                    "openingId": opening_names[int(rows["oid"][r])],
                    "kind": KINDS[int(rows["kind"][r])],
                    "score": int(rows["score"][r])}

        def walk(node):
            if node is _ROW:
                return take()
            if isinstance(node, list):
                return [walk(x) for x in node]
            if isinstance(node, dict):
                return {key: walk(v) for key, v in node.items()}
            return node

        sel = array("q")
        for key in list(res):
            if key != "candidates":
                res[key] = walk(res[key])
                continue
            for j, c in enumerate(res[key]):
                if c is not _ROW:
                    raise InputError(f"{path}: candidates[{j}]: expected exactly "
                                     f"studentId, openingId, kind, score")
                sel.append(next_row[0])
                next_row[0] += 1
        sel = np.frombuffer(sel, dtype=np.int64)
        rows = {k: v[sel] for k, v in rows.items()}
        del sel
    del res["candidates"], cand_list
    gc.collect()

    if unknown_openings:
        some = ", ".join(repr(o) for o in list(unknown_openings)[:5])
        raise InputError(f"{path}: candidates name openings not in the instance: {some}")
    return res, rows, student_index


def solve_kind(sid, oid, score, free):
    """Min-cost max-flow for one kind. Returns (matched, total score, build s, solve s)."""
    t0 = time.perf_counter()
    keep = free[oid] > 0
    if not keep.all():
        sid, oid, score = sid[keep], oid[keep], score[keep]
    if len(sid) == 0:
        return 0, 0, time.perf_counter() - t0, 0.0
    needs, need_of = np.unique(sid, return_inverse=True)
    opens, open_of = np.unique(oid, return_inverse=True)
    nn, no = len(needs), len(opens)
    source, sink = 0, 1
    need_base, open_base = 2, 2 + nn
    tails = np.concatenate([
        np.full(nn, source, dtype=np.int32),
        (need_base + need_of).astype(np.int32),
        (open_base + np.arange(no)).astype(np.int32),
    ])
    heads = np.concatenate([
        (need_base + np.arange(nn)).astype(np.int32),
        (open_base + open_of).astype(np.int32),
        np.full(no, sink, dtype=np.int32),
    ])
    caps = np.concatenate([
        np.ones(nn, dtype=np.int64),
        np.ones(len(sid), dtype=np.int64),
        free[opens].astype(np.int64),
    ])
    costs = np.concatenate([
        np.zeros(nn, dtype=np.int64),
        -score.astype(np.int64),
        np.zeros(no, dtype=np.int64),
    ])
    del need_of, open_of, keep
    mcf = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    del tails, heads, caps, costs
    mcf.set_nodes_supplies(np.array([source, sink], dtype=np.int32),
                           np.array([nn, -nn], dtype=np.int64))
    t1 = time.perf_counter()
    status = mcf.solve_max_flow_with_min_cost()
    t2 = time.perf_counter()
    if status != mcf.OPTIMAL:
        raise RuntimeError(f"OR-tools min cost flow ended with status {status}")
    return int(mcf.maximum_flow()), -int(mcf.optimal_cost()), t1 - t0, t2 - t1


def check_ours(assigns, sid, oid, score, free, student_index, open_index, open_ids):
    """Our assignments of one kind: (count, score sum, list of problems)."""
    problems = []
    count = len(assigns)
    total = sum(int(a["score"]) for a in assigns)
    n_open = len(free)
    seen_students = set()
    per_open = {}
    wanted = {}  # pair key -> our score
    for a in assigns:
        s, o = a["studentId"], a["openingId"]
        if s in seen_students:
            problems.append(f"student {s} matched twice")
        seen_students.add(s)
        oi = open_index.get(o)
        si = student_index.get(s)
        if oi is None:
            problems.append(f"({s}, {o}): opening not in the instance")
            continue
        per_open[oi] = per_open.get(oi, 0) + 1
        if si is None:
            problems.append(f"({s}, {o}): student has no candidate pair")
            continue
        wanted[si * n_open + oi] = (s, o, int(a["score"]))
    for oi, n in per_open.items():
        if n > free[oi]:
            problems.append(f"opening {open_ids[oi]}: {n} assignments, "
                            f"{int(free[oi])} free slots")
    if wanted:
        keys = sid.astype(np.int64) * n_open + oid.astype(np.int64)
        want_keys = np.fromiter(wanted.keys(), dtype=np.int64, count=len(wanted))
        hit = np.nonzero(np.isin(keys, want_keys))[0]
        found = {}
        for r in hit:
            found[int(keys[r])] = int(score[r])
        for k, (s, o, sc) in wanted.items():
            if k not in found:
                problems.append(f"({s}, {o}): not a candidate pair")
            elif found[k] != sc:
                problems.append(f"({s}, {o}): score {sc}, candidate score {found[k]}")
    return count, total, problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instance", required=True, help="instance JSON (docs/matching.md)")
    ap.add_argument("--result", required=True,
                    help="result JSON of `partnermatch match --candidates`")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)

    try:
        t0 = time.perf_counter()
        inst = read_instance(args.instance)
        res, rows, student_index = read_result(args.result, inst["open_index"])
        read_seconds = time.perf_counter() - t0
    except (InputError, KeyError, TypeError, ValueError, OSError) as e:
        msg = f"missing field {e}" if isinstance(e, KeyError) else str(e)
        print(f"ortools_peer: {msg}", file=sys.stderr)
        return 2

    free = inst["free"]
    assigns_by_kind = {k: [] for k in KINDS}
    for a in res.get("assignments") or []:
        if a.get("kind") not in assigns_by_kind:
            print(f"ortools_peer: assignment with unknown kind {a.get('kind')!r}", file=sys.stderr)
            return 2
        assigns_by_kind[a["kind"]].append(a)
    present = set(np.unique(rows["kind"]).tolist()) | set(np.unique(inst["open_kind"]).tolist())
    kinds = [k for i, k in enumerate(KINDS) if i in present or assigns_by_kind[k]]

    per_kind = {}
    build_total = solve_total = 0.0
    for k in kinds:
        sel = np.nonzero(rows["kind"] == KIND_INDEX[k])[0]
        sid, oid, score = rows["sid"][sel], rows["oid"][sel], rows["score"][sel]
        del sel
        matched, total, build_s, solve_s = solve_kind(sid, oid, score, free)
        build_total += build_s
        solve_total += solve_s
        ours_n, ours_total, problems = check_ours(assigns_by_kind[k], sid, oid, score, free,
                                                  student_index, inst["open_index"],
                                                  inst["open_ids"])
        per_kind[k] = {
            "candidates": int(len(sid)),
            "needs_with_candidates": int(len(np.unique(sid))),
            "ortools_matched": matched,
            "ortools_score": total,
            "ours_matched": ours_n,
            "ours_score": ours_total,
            "ours_consistent": not problems,
            "problems": problems[:20],
            "agree": matched == ours_n and total == ours_total and not problems,
            "build_seconds": round(build_s, 6),
            "solve_seconds": round(solve_s, 6),
        }
        del sid, oid, score

    seconds = (res.get("stats") or {}).get("seconds") or {}
    ours_solve = seconds.get("solve")
    agree = all(v["agree"] for v in per_kind.values())
    out = {
        "students": inst["students"],
        "openings": len(inst["open_ids"]),
        "candidates": int(len(rows["score"])),
        "kinds": per_kind,
        "read_seconds": round(read_seconds, 6),
        "build_seconds": round(build_total, 6),
        "ortools_solve_seconds": round(solve_total, 6),
        "ours_solve_seconds": ours_solve,
        "agree": agree,
    }

    if args.json:
        print(json.dumps(out, indent=2))
    else:
        hdr = ("kind", "candidates", "or matched", "or score", "our matched", "our score",
               "agree")
        table = [hdr] + [(k, str(v["candidates"]), str(v["ortools_matched"]),
                          str(v["ortools_score"]), str(v["ours_matched"]),
                          str(v["ours_score"]), "yes" if v["agree"] else "NO")
                         for k, v in per_kind.items()]
        widths = [max(len(r[i]) for r in table) for i in range(len(hdr))]
        for r in table:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                            for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        for k, v in per_kind.items():
            for p in v["problems"]:
                print(f"{k}: {p}")
        ours_txt = f"{ours_solve:.3f}s" if isinstance(ours_solve, (int, float)) else "n/a"
        print(f"read {read_seconds:.3f}s  build {build_total:.3f}s  "
              f"OR-tools solve {solve_total:.3f}s  our solve {ours_txt}")
        print("AGREE" if agree else "DISAGREE")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
