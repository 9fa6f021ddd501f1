"""A realistic demo workshop, built through the public API with a seeded random generator.

About ten trainees of one diploma work for several months on orders from fictional customers:
each production day they do a few catalogue tasks, mostly on the current orders. Each trainee
has their own pace; a few joined late; rare tasks (a jam, a degraded-mode run) leave real gaps.
Everything is fictional: names, customers and orders. The same seed gives the same journal.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from ep_skills.api import Journal
from ep_skills.journal.model import TaskRecord
from ep_skills.referential.model import CatalogueTask

__all__ = ["DEMO_END", "DEMO_EXAM", "DEMO_MACHINE", "DEMO_START", "build_demo"]

DEMO_START = date(2025, 9, 1)
DEMO_END = date(2026, 3, 31)
DEMO_EXAM = date(2026, 6, 8)
"""The demo cohort's exam session (ponctuel), for ``ep-skills plan --from 2026-04-01``."""
DEMO_MACHINE = "presse hydraulique"
"""A machine of the demo workshop whose use is regulated work for minors (the demo's own
name, not a referential's)."""

FIRST_NAMES = (
    "Léa",
    "Hugo",
    "Inès",
    "Yanis",
    "Chloé",
    "Nolan",
    "Sarah",
    "Mathis",
    "Lina",
    "Enzo",
    "Manon",
    "Rayan",
    "Jade",
    "Lucas",
    "Camille",
    "Adam",
    "Zoé",
    "Théo",
    "Maëlys",
    "Sacha",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Moreau",
    "Petit",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guerin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clement",
    "Gauthier",
    "Dumont",
    "Lopez",
)
CUSTOMERS = (
    "Mécanique du Gier (fictif)",
    "Emballages du Pilat (fictif)",
    "Ressorts Rhodaniens (fictif)",
    "Plasturgie des Monts (fictif)",
    "Tôlerie Fontaine (fictif)",
    "Cartonnages de la Loire (fictif)",
    "Restaurant d'entreprise Avenir (fictif)",
    "Mairie de Saint-Exemple (fictif)",
)
ORDER_TITLES = {
    "cap-cip": (
        "400 équerres découpées, pliées et ébavurées",
        "Conditionnement de 2 000 flacons",
        "Injection de 5 000 clips de fixation",
        "Assemblage de 300 boîtiers",
        "Découpe de 1 200 rondelles",
        "Étiquetage et mise en carton de 800 pots",
    ),
    "cap-psr": (
        "Repas du personnel, semaine 12",
        "Buffet de 80 couverts",
        "Plateaux-repas pour une formation",
        "Service cafétéria du forum des métiers",
        "Goûter des écoles",
        "Repas de fin d'année, 120 couverts",
    ),
}
LEVELS = ("RR", "R", "V", "VV")


def _production_days(start: date, end: date, rng: random.Random) -> list[date]:
    days = []
    day = start
    while day <= end:
        # Three production days a week; two weeks off at Christmas and in February.
        off = (date(day.year, 12, 20) <= day or day <= date(day.year, 1, 4)) or (
            date(day.year, 2, 14) <= day <= date(day.year, 2, 28)
        )
        if day.weekday() in (0, 1, 3) and not off:
            days.append(day)
        day += timedelta(days=1)
    return days


def _level(skill: float, rng: random.Random) -> str:
    value = skill + rng.gauss(0, 0.12)
    if value < 0.3:
        return "RR"
    if value < 0.5:
        return "R"
    if value < 0.78:
        return "V"
    return "VV"


def _task_weights(tasks: Sequence[CatalogueTask], rng: random.Random) -> list[float]:
    # A few tasks are rare (incidents, degraded mode): they are what leaves real gaps.
    weights = []
    for task in tasks:
        text = f"{task.id} {task.title}".lower()
        rare = any(
            word in text
            for word in (
                "degrade",
                "dégradé",
                "bourrage",
                "incident",
                "alerter",
                "consignation",
                "reclamation",
                "réclamation",
                "amelioration",
                "amélioration",
            )
        )
        weights.append(0.15 if rare else rng.uniform(0.6, 1.4))
    return weights


def build_demo(
    journal: Journal,
    *,
    diploma: str = "cap-cip",
    seed: int = 2026,
    trainees: int = 10,
    start: date = DEMO_START,
    end: date = DEMO_END,
) -> dict[str, Any]:
    """Fill ``journal`` with a demo workshop; returns counts and the cohort's name."""
    rng = random.Random(seed)
    referential = journal.registry.get(diploma)
    tasks = list(referential.tasks)
    weights = _task_weights(tasks, rng)
    cohort = f"demo-{diploma}"
    scale = journal.diploma(diploma).scale
    codes = [lv.code for lv in scale.levels if lv.scoring]
    levels = tuple(codes) if len(codes) == 4 else LEVELS

    first = rng.sample(FIRST_NAMES, k=min(trainees, len(FIRST_NAMES)))
    people: list[dict[str, Any]] = []
    for i in range(trainees):
        name = f"{first[i % len(first)]} {rng.choice(LAST_NAMES)}"
        while any(p["name"] == name for p in people):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        late = rng.random() < 0.2
        begin = start + timedelta(days=rng.randint(45, 75) if late else 0)
        added = journal.add_trainee(name, diploma=diploma, cohort=cohort, start_date=begin)
        # Each trainee has a pace, and habits: the instructor gives them only some tasks.
        habits = [w if rng.random() < 0.8 else 0.0 for w in weights]
        people.append(
            {
                "name": name,
                "id": added.id,
                "start": begin,
                "pace": rng.uniform(0.02, 0.09),
                "base": rng.uniform(0.05, 0.3),
                "weights": habits if any(habits) else weights,
            }
        )

    titles = ORDER_TITLES.get(diploma, ("Commande de production",))
    days = _production_days(start, end, rng)
    orders: list[tuple[str, date, date]] = []
    order_start = start
    number = 1
    while order_start <= end:
        length = timedelta(days=rng.randint(10, 25))
        ref = f"{order_start.year}-{number:03d}"
        journal.add_order(
            ref,
            customer=rng.choice(CUSTOMERS),
            title=rng.choice(titles),
            quantity=rng.choice((200, 400, 800, 1200, 2000)),
            received=order_start,
            due=order_start + length,
        )
        orders.append((ref, order_start, order_start + length))
        order_start += timedelta(days=rng.randint(6, 12))
        number += 1

    records = 0
    assessments = 0
    for day in days:
        current = [ref for ref, begin, due in orders if begin <= day <= due] or [orders[0][0]]
        batch: list[TaskRecord] = []
        for person in people:
            if day < person["start"] or rng.random() < 0.08:  # absent now and then
                continue
            months = (day - person["start"]).days / 30
            for task in rng.choices(tasks, weights=person["weights"], k=rng.randint(2, 4)):
                skill = min(1.0, person["base"] + person["pace"] * months)
                chosen = {
                    link.code: levels[LEVELS.index(_level(skill, rng))]
                    for link in task.competencies
                }
                record = journal.build_record(
                    [person["id"]],
                    task=task.id,
                    day=day,
                    order=rng.choice(current),
                    levels=chosen,
                    autonomy=min(4, 1 + int(skill * 4)),
                    assessor="Maître professionnel (démo)",
                    minutes=rng.choice((30, 45, 60, 90, 120)),
                )
                batch.append(record)
                assessments += len(record.assessments)
            if rng.random() < 0.1:  # now and then, a self-assessment
                task = rng.choice(tasks)
                link = task.competencies[0]
                batch.append(
                    journal.build_record(
                        [person["id"]],
                        task=task.id,
                        day=day,
                        role="auto",
                        levels={
                            c.code: levels[min(3, LEVELS.index(_level(0.7, rng)))]
                            for c in task.competencies
                        },
                        note=f"auto-évaluation ({link.code})",
                    )
                )
                assessments += len(task.competencies)
        records += len(batch)
        journal.write_records(batch)
    behind = min(people, key=lambda p: journal.progress(p["id"]).readiness)
    _next_orders(journal, people, tasks, cohort, end, random.Random(seed + 1))
    return {
        "trainees": len(people),
        "orders": len(orders),
        "records": records,
        "assessments": assessments,
        "cohort": cohort,
        "first": behind["name"],
    }


def _next_orders(
    journal: Journal,
    people: list[dict[str, Any]],
    tasks: list[Any],
    cohort: str,
    end: date,
    rng: random.Random,
) -> None:
    """What the planner needs, after the demo's history: the next orders and their tasks
    (one of them regulated work on :data:`DEMO_MACHINE`), the cohort's exam session, each
    trainee's working time (two away on a work placement) and the register of young workers:
    some adults, minors covered by the school's dérogation, one minor not (no medical
    opinion yet) — so that ``ep-skills plan`` has something to decide."""
    from ep_skills.journal.planning import Away, AwayKind

    journal.set_exam_session(DEMO_EXAM, mode="ponctuel", cohort=cohort)
    journal.declare_derogation(DEMO_MACHINE, end - timedelta(days=200), place="Atelier")
    for index, person in enumerate(people):
        adult = index % 3 == 0
        born = date(end.year - (19 if adult else 16), rng.randint(1, 12), rng.randint(1, 28))
        journal.set_birth_date(person["id"], born)
        if not adult and index % 4 != 1:
            journal.record_medical_opinion(person["id"], end - timedelta(days=90))
            journal.record_safety_training(person["id"], DEMO_MACHINE, end - timedelta(days=60))
        away: tuple[Away, ...] = ()
        if index in (2, 5):
            first = end + timedelta(days=8)
            away = (Away(first, first + timedelta(days=13), AwayKind.PFMP),)
        journal.set_availability(person["id"], hours_per_week=rng.choice((28, 30, 32)), away=away)
    for number in range(1, 4):
        ref = f"{end.year}-N{number:02d}"
        journal.add_order(
            ref,
            customer=rng.choice(CUSTOMERS),
            title=rng.choice(
                ORDER_TITLES.get(journal.trainee(people[0]["id"]).diploma, ("Commande",))
            ),
            quantity=rng.choice((400, 800, 1200)),
            received=end,
            due=end + timedelta(days=7 * (number + 1)),
        )
        for position, task in enumerate(rng.sample(tasks, k=min(4, len(tasks)))):
            journal.add_order_task(
                ref,
                task.id,
                minutes=rng.choice((120, 180, 240, 360)),
                places=rng.choice((1, 2, 2, 3)),
                needed=1,
                quantity=rng.choice((1, 2)),
                machine=DEMO_MACHINE if number == 1 and position == 0 else None,
            )
