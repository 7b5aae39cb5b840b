"""Dependent rounding of a flow on any network (issue 14: randomized assignment under diversity
rules).

The randomized solver's fractional optimum is an integral flow in units of 1/D. Without rules it
is rounded on the bipartite graph of pairs (`randomized.draw`); with rules the group arcs must
stay within their caps too, so the rounding runs on the whole network: source → proposals →
group nodes → pair arcs → reviewers → sink → back to the source (a circulation). An arc is
*fractional* while its flow is not a multiple of D. Conservation holds at every node and every
node's total is a multiple of D only if its fractional arcs are not one, so fractional arcs form
cycles (as an undirected graph). Each step takes one cycle, moves δ units forward along it (+ on
arcs traversed tail → head, − on the others), choosing +α or −β with the probabilities that keep
every arc's expectation, where α and β are the largest moves keeping every arc between the
multiples of D around its flow; at least one arc becomes a multiple of D. The result: every arc's
flow is its value rounded down or up to a multiple of D (so every cap, itself a multiple of D,
holds), and every pair is drawn with probability flow / D.
"""

from __future__ import annotations

import numpy as np


def round_flow(tails: np.ndarray, heads: np.ndarray, flow: np.ndarray, d: int,
               rng: np.random.Generator) -> np.ndarray:
    """Arc flows (int64) all multiples of ``d``, each with expectation ``flow``."""
    value = flow.astype(np.int64).copy()
    incident: dict[int, set[int]] = {}
    for a in np.flatnonzero(value % d):
        incident.setdefault(int(tails[a]), set()).add(int(a))
        incident.setdefault(int(heads[a]), set()).add(int(a))
    for node in sorted(incident):
        while incident.get(node):
            _shift(_cycle(node, tails, heads, incident), tails, value, d, rng, incident, heads)
    return value


def _cycle(start: int, tails, heads, incident) -> list[tuple[int, int]]:
    """(arc, +1 if walked tail → head else −1) around a cycle of fractional arcs reached from
    ``start``: walk without turning back until a node repeats."""
    nodes, steps, seen = [start], [], {start: 0}
    while True:
        here = nodes[-1]
        came_by = steps[-1][0] if steps else None
        arc = next(a for a in sorted(incident[here]) if a != came_by)
        forward = int(tails[arc]) == here
        there = int(heads[arc]) if forward else int(tails[arc])
        steps.append((arc, 1 if forward else -1))
        if there in seen:
            return steps[seen[there]:]
        seen[there] = len(nodes)
        nodes.append(there)


def _shift(cycle, tails, value, d, rng, incident, heads) -> None:
    up = [d - value[a] % d if sign > 0 else value[a] % d for a, sign in cycle]
    down = [value[a] % d if sign > 0 else d - value[a] % d for a, sign in cycle]
    alpha, beta = min(up), min(down)
    step = alpha if rng.random() * (alpha + beta) < beta else -beta
    for a, sign in cycle:
        value[a] += sign * step
        if value[a] % d == 0:
            incident[int(tails[a])].discard(a)
            incident[int(heads[a])].discard(a)
