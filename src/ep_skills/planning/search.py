"""The heuristic: a good plan fast, in pure Python, for large instances.

The jobs few trainees may do first, a lazy greedy by gain per minute, local search (staffing
a short job by freeing someone's time, handing a job over, swapping a job for a free place,
two trainees trading jobs), then a fixed number of seeded kicks. The same problem gives the
same plan.
"""

from __future__ import annotations

import heapq
import random
import time
from typing import Any

from ep_skills.planning.model import Plan, Problem
from ep_skills.planning.rules import _LATE, _Instance, _plan, _score_pairs

__all__ = ["heuristic"]

# How many of a trainee's jobs the search for time to staff one short job may look at.
_AUGMENT_STEPS = 2_000
# How many of the jobs that would close most for a trainee the trade of jobs tries.
_SWAP_CANDIDATES = 24
# How many of the jobs that would close most for a trainee who changed are tried, to take
# them from someone.
_REPLACE_CANDIDATES = 48
# Kicks after the local search: at most this many, and fewer on large instances so that
# they take about the same time (each costs about the allowed pairs): ~40 on 30 trainees ×
# 200 jobs, none on 150 × 1,000, where the first descent already takes the time.
_KICKS = 200
_KICK_WORK = 200_000


class _Search:
    """A plan being built: loads, teams, and the counts of needed competencies, with the
    change in each part of the score that adding or removing one pair would make."""

    def __init__(self, inst: _Instance) -> None:
        self.inst = inst
        self.m = [job.minutes for job in inst.jobs]
        self.needed = [job.needed for job in inst.jobs]
        self.places = [job.places for job in inst.jobs]
        self.load = [0] * len(inst.workers)
        self.count: list[dict[str, int]] = [dict.fromkeys(need, 0) for need in inst.need]
        self.team: list[list[int]] = [[] for _job in inst.jobs]
        self.held: list[set[int]] = [set() for _worker in inst.workers]
        self.changed: set[int] = set()
        """The trainees whose jobs changed since the local search last looked."""
        rel, urgency = inst.rel, inst.urgency
        self.ranked = [
            [j for _n, j in sorted((-len(rel[w][j]), j) for j in mine)]
            for w, mine in enumerate(inst.jobs_of)
        ]
        """Each trainee's allowed jobs, those mobilising most of their needs first."""
        self.pool = [
            [w for _n, w in sorted((-urgency[w] * len(rel[w][j]), w) for w in allowed)]
            for j, allowed in enumerate(inst.allowed)
        ]
        """Each job's allowed trainees, those it could close most for first."""
        self.longest = max(self.m, default=0)

    def left(self, w: int) -> int:
        return self.inst.minutes[w] - self.load[w]

    def closed_gain(self, w: int, j: int) -> int:
        count, need = self.count[w], self.inst.need[w]
        return self.inst.urgency[w] * sum(1 for c in self.inst.rel[w][j] if count[c] < need[c])

    def closed_loss(self, w: int, j: int) -> int:
        count, need = self.count[w], self.inst.need[w]
        return self.inst.urgency[w] * sum(1 for c in self.inst.rel[w][j] if count[c] <= need[c])

    def spread_gain(self, w: int, minutes: int) -> int:
        share, load = self.inst.shares[w], self.load[w]
        return min(share, load + minutes) - min(share, load)

    def spread_loss(self, w: int, minutes: int) -> int:
        share, load = self.inst.shares[w], self.load[w]
        return min(share, load) - min(share, load - minutes)

    def gain(self, w: int, j: int) -> int:
        """What adding (w, j) adds to the value, staffing aside."""
        return self.closed_gain(w, j) * self.inst.w2 + self.spread_gain(w, self.m[j])

    def loss(self, w: int, j: int) -> int:
        """What removing (w, j) takes from the value, staffing aside."""
        return self.closed_loss(w, j) * self.inst.w2 + self.spread_loss(w, self.m[j])

    def trade(self, w: int, j: int, k: int) -> int:
        """What ``w`` dropping ``j`` for ``k`` changes in the value."""
        count, need, rel = self.count[w], self.inst.need[w], self.inst.rel[w]
        gives = rel[j]
        lost = sum(1 for c in gives if count[c] <= need[c])
        gained = sum(1 for c in rel[k] if count[c] - (c in gives) < need[c])
        share, load = self.inst.shares[w], self.load[w]
        spread = min(share, load - self.m[j] + self.m[k]) - min(share, load)
        return (gained - lost) * self.inst.urgency[w] * self.inst.w2 + spread

    def fits(self, w: int, j: int) -> bool:
        return (
            self.load[w] + self.m[j] <= self.inst.minutes[w]
            and len(self.team[j]) < self.places[j]
            and j not in self.held[w]
        )

    def room(self, w: int, j: int) -> bool:
        """Whether ``w`` could take ``j`` in the place of someone on it."""
        return self.load[w] + self.m[j] <= self.inst.minutes[w] and j not in self.held[w]

    def add(self, w: int, j: int, mark: bool = True) -> None:
        self.load[w] += self.m[j]
        self.team[j].append(w)
        self.held[w].add(j)
        count = self.count[w]
        for c in self.inst.rel[w][j]:
            count[c] += 1
        if mark:
            self.changed.add(w)

    def remove(self, w: int, j: int, mark: bool = True) -> None:
        self.load[w] -= self.m[j]
        self.team[j].remove(w)
        self.held[w].discard(j)
        count = self.count[w]
        for c in self.inst.rel[w][j]:
            count[c] -= 1
        if mark:
            self.changed.add(w)

    def pairs(self) -> set[tuple[int, int]]:
        return {(w, j) for j, team in enumerate(self.team) for w in team}

    def save(self) -> tuple[Any, ...]:
        return (
            list(self.load),
            [dict(count) for count in self.count],
            [list(team) for team in self.team],
            [set(held) for held in self.held],
        )

    def restore(self, saved: tuple[Any, ...]) -> None:
        self.load, self.count, self.team, self.held = saved


def _fill(search: _Search, staffing: bool) -> bool:
    """Greedy: add the pair of best gain per minute of the trainee's time until none fits.
    ``staffing``: the places up to ``needed``; else the places left, for a gain.

    Lazy, since gains only fall as the plan grows: each job keeps its candidates in a heap
    by an optimistic key, and a candidate's gain is computed again only when it comes out
    on top (most never do: their job fills first). A second heap holds each job's best."""
    inst = search.inst
    team, held, load, minutes, m_of = search.team, search.held, search.load, inst.minutes, search.m
    limit = search.needed if staffing else search.places
    urgency, shares, rel, w2 = inst.urgency, inst.shares, inst.rel, inst.w2
    # A key is one int, compared far faster than a tuple: minus the gain per minute (to a
    # millionth), then the trainee's position.
    workers = len(inst.workers)
    # Trainee by trainee: once the plan is full, few have room left, and only their jobs
    # are looked at.
    open_jobs = [j for j in range(len(inst.jobs)) if len(team[j]) < limit[j]]
    shortest = min((m_of[j] for j in open_jobs), default=0)
    candidates: dict[int, list[int]] = {}
    for w in range(workers):
        room = minutes[w] - load[w]
        if not open_jobs or room < shortest:
            continue
        urgent, share, rel_w, held_w = urgency[w] * w2, shares[w], rel[w], held[w]
        for j in inst.jobs_of[w]:
            m = m_of[j]
            if m <= room and len(team[j]) < limit[j] and j not in held_w:
                best = urgent * len(rel_w[j]) + min(share, m)
                candidates.setdefault(j, []).append(-(best * 1_000_000 // m) * workers + w)
    for keys in candidates.values():
        heapq.heapify(keys)
    tops = [(keys[0], j) for j, keys in sorted(candidates.items())]
    heapq.heapify(tops)
    added = False
    while tops:
        _key, j = heapq.heappop(tops)
        keys = candidates[j]
        if len(team[j]) >= limit[j]:
            continue
        m = m_of[j]
        w = keys[0] % workers
        if load[w] + m > minutes[w] or j in held[w]:
            heapq.heappop(keys)
        else:
            gain = search.gain(w, j)
            if gain <= 0 and not staffing:
                heapq.heappop(keys)
            else:
                now = -(gain * 1_000_000 // m) * workers + w
                if now != keys[0]:
                    heapq.heapreplace(keys, now)
                # Still this job's best, and no other job's best is better: take it.
                if keys[0] == now and (not tops or now <= tops[0][0]):
                    heapq.heappop(keys)
                    search.add(w, j)
                    added = True
        if keys and len(team[j]) < limit[j]:
            heapq.heappush(tops, (keys[0], j))
    return added


def _first_scarce(search: _Search) -> None:
    """Staff first the jobs few trainees may do, before the greedy spends those trainees'
    time on jobs anyone could do."""
    inst = search.inst
    scarce = [
        j
        for j, allowed in enumerate(inst.allowed)
        if search.needed[j] and len(allowed) <= 2 * search.needed[j] + 1
    ]
    scarce.sort(key=lambda j: (len(inst.allowed[j]) - search.needed[j], inst.jobs[j].due or _LATE))
    for j in scarce:
        while len(search.team[j]) < search.needed[j]:
            best = max(
                (w for w in inst.allowed[j] if search.fits(w, j)),
                key=lambda w: (search.gain(w, j), -inst.workers[w].id),
                default=None,
            )
            if best is None:
                break
            search.add(best, j)


def _augment(search: _Search, deadline: float) -> bool:
    """Staff short jobs by freeing a trainee's time: they hand some of their jobs to others
    (who may in turn hand one of theirs on), or drop places beyond what an order needs."""
    improved = False
    for j, allowed in enumerate(search.inst.allowed):
        while len(search.team[j]) < search.needed[j] and time.perf_counter() < deadline:
            if not _augment_one(search, j, allowed):
                break
            improved = True
    return improved


def _augment_one(search: _Search, j: int, allowed: list[int]) -> bool:
    m = search.m[j]
    budget = [_AUGMENT_STEPS]
    for w in sorted(allowed, key=lambda w: (-search.left(w), w)):
        if j in search.held[w]:
            continue
        log: list[tuple[int, int, bool]] = []
        if _free(search, w, m, 2, log, {w}, budget):
            search.add(w, j)
            search.changed.update(v for v, _k, _added in log)
            return True
        _undo(search, log, 0)
        if budget[0] <= 0:
            break
    return False


def _free(
    search: _Search,
    w: int,
    minutes: int,
    depth: int,
    log: list[tuple[int, int, bool]],
    busy: set[int],
    budget: list[int],
) -> bool:
    """Give ``w`` at least ``minutes`` left without unstaffing any job, cheapest losses
    first; on failure, undo what was tried here."""
    mark = len(log)
    for k in sorted(search.held[w], key=lambda k: (search.loss(w, k), k)):
        if search.left(w) >= minutes:
            break
        budget[0] -= 1
        if budget[0] < 0:
            break
        if len(search.team[k]) > search.needed[k]:
            search.remove(w, k, mark=False)
            log.append((w, k, False))
            continue
        mk = search.m[k]
        for v in search.inst.allowed[k]:
            if v in busy or k in search.held[v]:
                continue
            if search.left(v) >= mk or (
                depth > 1 and _free(search, v, mk, depth - 1, log, busy | {v}, budget)
            ):
                search.remove(w, k, mark=False)
                log.append((w, k, False))
                search.add(v, k, mark=False)
                log.append((v, k, True))
                break
    if search.left(w) >= minutes:
        return True
    _undo(search, log, mark)
    return False


def _undo(search: _Search, log: list[tuple[int, int, bool]], mark: int) -> None:
    while len(log) > mark:
        w, k, added = log.pop()
        if added:
            search.remove(w, k, mark=False)
        else:
            search.add(w, k, mark=False)


def _replace(search: _Search, dirty: set[int], everyone: bool, deadline: float) -> bool:
    """Hand a job to another trainee when it gains more there than it loses here: the jobs
    of the trainees in ``dirty``, and the jobs those trainees could take from someone
    (``everyone``: every job, the first time)."""
    inst, improved = search.inst, False
    w2, rel, urgency, m = inst.w2, inst.rel, inst.urgency, search.m
    load, minutes, held = search.load, inst.minutes, search.held
    for w in sorted(dirty):
        if time.perf_counter() > deadline:
            return improved
        for j in sorted(held[w]):
            loss = search.loss(w, j)
            best, best_gain = -1, loss
            mj = m[j]
            for v in search.pool[j]:
                # Cheap bound first: what v could gain at most (the pool is in that order).
                if urgency[v] * len(rel[v][j]) * w2 + mj <= best_gain:
                    break
                if load[v] + mj <= minutes[v] and v != w and j not in held[v]:
                    gain = search.gain(v, j)
                    if gain > best_gain:
                        best, best_gain = v, gain
            if best >= 0:
                search.remove(w, j)
                search.add(best, j)
                improved = True
    if everyone:
        return improved
    team = search.team
    for v in sorted(dirty):
        if time.perf_counter() > deadline:
            break
        tried = 0
        for j in search.ranked[v]:
            if not team[j] or not search.room(v, j):
                continue
            tried += 1
            if tried > _REPLACE_CANDIDATES:
                break
            gain = search.gain(v, j)
            for w in team[j]:
                if w not in dirty and gain > search.loss(w, j):
                    search.remove(w, j)
                    search.add(v, j)
                    improved = True
                    break
    return improved


def _exchange(search: _Search, dirty: set[int], deadline: float) -> bool:
    """A trainee swaps a job for a free place on another when the other gains more: the
    dropped job keeps its staffing (a place beyond what is needed, or someone else takes
    it)."""
    inst, improved = search.inst, False
    team, places, held, m = search.team, search.places, search.held, search.m
    for w in sorted(dirty):
        if time.perf_counter() > deadline:
            break
        urgent = inst.urgency[w] * inst.w2
        rel = inst.rel[w]
        free = [k for k in search.ranked[w] if len(team[k]) < places[k] and k not in held[w]]
        for j in sorted(held[w]):
            room = search.left(w) + m[j]
            # What w's giving j up costs, less what a trainee who takes it instead gains.
            cost, taker = 0, -1
            if len(team[j]) <= search.needed[j]:
                taker = next((v for v in inst.allowed[j] if v != w and search.room(v, j)), -1)
                if taker < 0:
                    continue
                cost = -search.gain(taker, j)
            best, best_gain = -1, cost
            for k in free:
                if urgent * len(rel[k]) + search.longest <= best_gain:
                    break  # ranked: none after can do better
                if m[k] <= room:
                    gain = search.trade(w, j, k)
                    if gain > best_gain:
                        best, best_gain = k, gain
            if best >= 0:
                search.remove(w, j)
                search.add(w, best)
                if taker >= 0:
                    search.add(taker, j)
                improved = True
                break  # the trainee's jobs changed: on to the next trainee
    return improved


def _swap(search: _Search, dirty: set[int], deadline: float) -> bool:
    """Two trainees trade jobs when both together gain more than they lose. Looked for from
    the side of a trainee in ``dirty``, among the jobs held by others that would close the
    most for them."""
    inst, improved = search.inst, False
    rel, m = inst.rel, search.m
    load, minutes, held, team = search.load, inst.minutes, search.held, search.team
    for w in sorted(dirty):
        if time.perf_counter() > deadline:
            break
        mine = sorted(held[w])
        if not mine:
            continue
        wanted: list[tuple[int, int]] = []
        for k in search.ranked[w]:
            if team[k] and k not in held[w]:
                gain = search.closed_gain(w, k)
                if gain:
                    wanted.append((-gain, k))
                    if len(wanted) == 3 * _SWAP_CANDIDATES:
                        break
        wanted.sort()
        done = False
        for _gain, k in wanted[:_SWAP_CANDIDATES]:
            for j in mine:
                if load[w] - m[j] + m[k] > minutes[w]:
                    continue
                delta_w = search.trade(w, j, k)
                for v in team[k]:
                    if j in held[v] or j not in rel[v] or load[v] - m[k] + m[j] > minutes[v]:
                        continue
                    if delta_w + search.trade(v, k, j) > 0:
                        search.remove(w, j)
                        search.remove(v, k)
                        search.add(w, k)
                        search.add(v, j)
                        improved = done = True
                        break
                if done:
                    break
            if done:
                break  # the trainee's jobs changed: on to the next trainee
    return improved


def _descend(search: _Search, dirty: set[int], first: bool, deadline: float) -> int:
    """Local search until no move raises the value; the rounds it took."""
    rounds = 0
    # Each move strictly raises the value, so this ends; after a round only the trainees
    # whose jobs changed are looked at again.
    while dirty and time.perf_counter() < deadline:
        rounds += 1
        search.changed = set()
        _augment(search, deadline)
        _replace(search, dirty, first and rounds == 1, deadline)
        _exchange(search, dirty, deadline)
        _swap(search, dirty, deadline)
        _fill(search, staffing=False)
        dirty = search.changed
    return rounds


def _heuristic_pairs(
    inst: _Instance, deadline: float
) -> tuple[set[tuple[int, int]], dict[str, Any]]:
    """The heuristic's pairs, and what it did: rounds of its first descent, kicks tried and
    kept, whether the deadline cut it short."""
    search = _Search(inst)
    _first_scarce(search)
    _fill(search, staffing=True)
    _augment(search, deadline)
    _fill(search, staffing=False)
    workers = len(inst.workers)
    rounds = _descend(search, set(range(workers)), True, deadline)
    details: dict[str, Any] = {"rounds": rounds, "kicks": 0, "kept": 0}
    # Then kicks: two trainees give up the places they hold beyond what orders need, the
    # plan is filled and improved again around them, and kept if better. A fixed seed and a
    # number of kicks set by the size keep the plan the same for the same problem (the
    # deadline only guards a much slower machine).
    value = _score_pairs(inst, search.pairs()).value
    rng = random.Random(0)
    kicks = min(_KICKS, _KICK_WORK // max(inst.pairs, 1)) if workers > 1 else 0
    for _kick in range(kicks):
        if time.perf_counter() > deadline:
            break
        saved = search.save()
        details["kicks"] += 1
        search.changed = set()
        kicked = rng.sample(range(workers), 2)
        for w in kicked:
            for j in sorted(search.held[w]):
                if len(search.team[j]) > search.needed[j]:
                    search.remove(w, j)
        _fill(search, staffing=False)
        _descend(search, set(search.changed) | set(kicked), False, deadline)
        now = _score_pairs(inst, search.pairs()).value
        if now > value:
            value = now
            details["kept"] += 1
        else:
            search.restore(saved)
    details["cut_short"] = time.perf_counter() > deadline
    return search.pairs(), details


def heuristic(problem: Problem, *, time_limit: float = 10.0) -> Plan:
    """A good plan fast, in pure Python (module docstring): 1.5 s for 150 trainees × 1,000
    jobs on the benchmark's machine. It stops by itself; ``time_limit`` only guards a much
    slower machine (then the plan may differ from run to run: ``details["cut_short"]``)."""
    started = time.perf_counter()
    inst = _Instance(problem)
    pairs, details = _heuristic_pairs(inst, started + time_limit)
    return _plan(inst, pairs, "heuristic", started, details=details)
