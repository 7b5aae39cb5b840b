"""Solver benchmark: ``python -m bench.run [--instances a,b] [--algorithms x,y] [--runs 3]``.

For every instance (bench.instances.CATALOGUE) and solver it reports validity (coverage ≤ demand,
loads ≤ capacity, only candidate pairs, zero conflict pairs), the lexicographic levels, the total
as a share of the exact optimum (the LP of bench.reference over all candidate pairs, solved in
the same run with HiGHS by column generation), the worst-off and 5th-percentile proposal totals, the median wall time of the runs and the peak
resident memory of the process that ran them. Each (instance, solver) runs in a forked child so
that peaks do not leak between rows. Writes docs/benchmarks.md unless --no-write.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import ortools
import scipy
from tqdm import tqdm

from referee.matching.solvers import ALGORITHMS, solve

from .instances import CATALOGUE, Instance
from .reference import lexicographic_optimum

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
TARGETS = {  # (instance, algorithm): target, as stated in the brief
    ("midl", "minmax"): "total 201.88", ("midl", "hungarian"): "total 201.88",
    ("midl-lower", "minmax"): "total 150.04", ("midl-lower", "hungarian"): "total 150.04",
    ("midl", "fairflow"): "floor ≥ 0.945, total ≥ 99.9 %",
    ("dense", "minmax"): "≤ 1 s", ("sparse", "minmax"): "≤ 5 s, ≤ 1 GB",
    ("dense", "fairflow"): "floor ≥ 98 % top-k, total ≥ 99.9 %, ≤ 10 s",
}


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _measure(instance: Instance, algorithm: str, runs: int, budget: float, conn) -> None:
    """Child process: time the runs, check the last solution, send a summary back."""
    start_kib = _status_kib("VmRSS")
    times, sol = [], None
    while len(times) < runs and (not times or sum(times) < budget):
        t0 = time.perf_counter()
        sol = solve(instance.problem, algorithm)
        times.append(time.perf_counter() - t0)
    conn.send({"times": times, "peak_mib": _status_kib("VmHWM") / 1024,
               "extra_mib": (_status_kib("VmHWM") - start_kib) / 1024, **_check(instance, sol)})
    conn.close()


def _check(instance: Instance, sol) -> dict:
    pr = instance.problem
    p, r = pr.proposal_idx[sol.edges], pr.reviewer_idx[sol.edges]
    key = p.astype(np.int64) * pr.n_reviewers + r
    conflicts = instance.conflicts
    bad_pairs = int(np.isin(key, conflicts[:, 0] * pr.n_reviewers + conflicts[:, 1]).sum())
    wanted = pr.demand > 0
    totals = sol.proposal_score[wanted]
    valid = (len(np.unique(sol.edges)) == len(sol.edges) and np.all(sol.assigned <= pr.demand)
             and np.all(sol.load <= pr.capacity) and bad_pairs == 0)
    return {"valid": bool(valid), "conflict_pairs": bad_pairs,
            "filled": int(sol.assigned.sum()),
            "on_lower": int(np.minimum(sol.load, pr.lower).sum()),
            "total": sol.total_score, "floor": float(totals.min()) if len(totals) else np.nan,
            "p5": float(np.percentile(totals, 5)) if len(totals) else np.nan,
            "shortfalls": len(sol.shortfalls), "unmet_lower": len(sol.unmet_lower)}


def _run_child(instance, algorithm, runs, budget) -> dict:
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_measure, args=(instance, algorithm, runs, budget, child))
    proc.start()
    child.close()
    result = parent.recv()
    proc.join()
    return result


def _topk_bound(pr) -> float:
    """min over proposals with demand of existing + its d best positive candidate affinities:
    an upper bound on any assignment's worst-off total."""
    order = np.lexsort((-pr.affinity, pr.proposal_idx))
    p, a = pr.proposal_idx[order], np.maximum(pr.affinity[order], 0)
    rank = np.arange(len(p)) - np.searchsorted(p, p)
    top = rank < pr.demand[p]
    best = pr.existing + np.bincount(p[top], weights=a[top], minlength=pr.n_proposals)
    return float(best[pr.demand > 0].min())


def _reference(instance: Instance) -> tuple[dict, str]:
    t0 = time.perf_counter()
    ref = lexicographic_optimum(instance.problem)
    return ref, (f"LP optimum {ref['score']:.6f} in {time.perf_counter() - t0:.1f} s "
                 f"({ref['rounds']} pricing rounds, {ref['working']:,} pairs in the final working set)")


def _machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor() or "unknown CPU")
    mem = _meminfo_gib()
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Linux {platform.release()}, "
            f"Python {platform.python_version()}, numpy {np.__version__}, "
            f"scipy {scipy.__version__}, OR-Tools {ortools.__version__}")


def _meminfo_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=DOC.parent, check=True)
        return out.stdout.strip() or "none"
    except (OSError, subprocess.CalledProcessError):
        return "none (no commit yet)"


def _fmt(x, spec=".3f"):
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, spec)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", default=",".join(CATALOGUE))
    ap.add_argument("--algorithms", default=",".join(ALGORITHMS))
    ap.add_argument("--runs", type=int, default=3, help="timed runs per row (median reported)")
    ap.add_argument("--budget", type=float, default=60.0,
                    help="stop repeating a row after this many seconds (at least one run)")
    ap.add_argument("--hungarian-max-slots", type=int, default=50_000,
                    help="skip hungarian above this many slots (Σ demand + Σ capacity)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    names = args.instances.split(",")
    algorithms = [a for a in ALGORITHMS if a in args.algorithms.split(",")]

    rows, notes = [], []
    bar = tqdm(total=len(names) * len(algorithms), desc="bench", unit="row")
    for name in names:
        bar.set_postfix_str(f"{name}: generating")
        instance = CATALOGUE[name]()
        pr = instance.problem
        results = {}
        for algorithm in algorithms:
            bar.set_postfix_str(f"{name}: {algorithm}")
            slots = int(pr.demand.sum() + pr.capacity.sum())
            if algorithm == "hungarian" and slots > args.hungarian_max_slots:
                notes.append(f"{name}: hungarian skipped ({slots:,} slots > "
                             "--hungarian-max-slots: LAPJVsp on its slot graph runs for tens "
                             "of minutes)")
            else:
                results[algorithm] = _run_child(instance, algorithm, args.runs, args.budget)
            bar.update()
        bar.set_postfix_str(f"{name}: LP reference")
        ref, ref_note = _reference(instance)
        notes.append(f"{name}: {instance.note}; {ref_note}")
        topk = _topk_bound(pr)
        for algorithm, res in results.items():
            levels_ok = (res["filled"], res["on_lower"]) == (ref["filled"], ref["on_lower"])
            rows.append({
                "instance": name, "algorithm": algorithm,
                "P×R": f"{pr.n_proposals}×{pr.n_reviewers}",
                "pairs": pr.n_pairs, **res, "levels_ok": levels_ok,
                "pct": 100 * res["total"] / ref["score"],
                "floor_topk": 100 * res["floor"] / topk if topk > 0 else np.nan,
                "median_s": statistics.median(res["times"]),
                "target": TARGETS.get((name, algorithm), ""),
            })
    bar.close()
    table = _table(rows)
    print(table)
    print("\n".join(notes))
    if not args.no_write:
        _write(table, notes, args)


def _table(rows) -> str:
    head = ("| instance | solver | P×R | pairs | valid | filled | on lower | total | % of LP optimum | "
            "worst-off | p5 | worst-off % top-k | median s | runs | peak MiB | target |")
    lines = [head, "|" + "|".join("---" for _ in range(head.count("|") - 1)) + "|"]
    for r in rows:
        valid = "yes" if r["valid"] and r["levels_ok"] else "NO"
        lines.append(
            f"| {r['instance']} | {r['algorithm']} | {r['P×R']} | {r['pairs']:,} | {valid} | "
            f"{r['filled']:,} | {r['on_lower']:,} | {r['total']:.4f} | "
            f"{r['pct']:.4f} | {_fmt(r['floor'])} | {_fmt(r['p5'])} | "
            f"{_fmt(r['floor_topk'], '.1f')} | {r['median_s']:.3f} | {len(r['times'])} | "
            f"{r['peak_mib']:.0f} | {r['target']} |")
    return "\n".join(lines)


def _write(table: str, notes, args) -> None:
    text = DOC.read_text() if DOC.exists() else ""
    marker = "<!-- bench:results -->"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results = (f"{marker}\nCommit {_commit()}, {stamp}. Machine: {_machine()}.\n"
               f"Command: `python -m bench.run --runs {args.runs}`.\n\n{table}\n\n"
               + "\n".join(f"- {n}" for n in notes) + f"\n{marker}\n")
    if text.count(marker) == 2:  # replace the previous results, keep the prose around them
        before, _, rest = text.partition(marker)
        after = rest.partition(marker)[2].lstrip("\n")
        text = before + results + ("\n" + after if after else "")
    else:
        text = text + ("\n" if text else "") + results
    DOC.write_text(text)


if __name__ == "__main__":
    main()
