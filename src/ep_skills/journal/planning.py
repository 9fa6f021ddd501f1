"""What the planner needs to know besides the evidence, kept in the journal.

- the tasks each open order asks for (« tâches de la commande »): which catalogue task, how
  long, how many trainees it takes, and whether it is regulated work on a dangerous machine;
- each trainee's working time (« disponibilité »): minutes per week, PFMP periods and
  absences;
- the register the law on young workers asks a school to keep (« registre des dérogations »,
  Code du travail R.4153-38 ff.): birth dates, the school's declarations of dérogation for
  regulated work on each machine, each minor's medical opinion and safety training (what
  R.4153-45 asks the school to keep available to the labour inspectorate).

Kept in ``meta``, append-only like everything in a journal (``journal/versions.py``): each
change is a new version, the latest in force, the earlier ones its history — who could do
what, and since when, stays provable.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from attrs import field, frozen

from ep_skills.journal.storage import Storage
from ep_skills.journal.versions import append_version, latest_versions

__all__ = [
    "Availability",
    "Away",
    "AwayKind",
    "Derogation",
    "OrderTask",
    "Register",
    "YoungWorker",
    "add_years",
    "adult_on",
    "availabilities",
    "order_tasks",
    "register",
    "save_availability",
    "save_birth_date",
    "save_derogation",
    "save_medical_opinion",
    "save_order_task",
    "save_safety_training",
]

_TASK = "plan:order-task:"
_AVAILABILITY = "plan:availability:"
_BIRTH = "plan:birth:"
_MEDICAL = "plan:medical:"
_TRAINING = "plan:training:"
_DEROGATION = "plan:derogation:"
_SEP = "\x1f"  # between the parts of a name (an order's reference may hold any character)

ADULT_AGE = 18
"""Code du travail L.4153-8: the work of D.4153-15 ff. is forbidden to workers under 18."""
YOUNGEST = 15
"""R.4153-39: the dérogations are for « jeunes âgés d'au moins quinze ans »."""
DEROGATION_YEARS = 3
"""R.4153-40: « pour une durée de trois ans à compter de l'envoi de la déclaration »;
R.4153-44: « renouvelée tous les trois ans »."""


@frozen
class OrderTask:
    """A task an open order asks for (« tâche d'une commande »), for the planner."""

    order: str
    task: str
    """The catalogue task's id (its competencies are the referential's)."""
    minutes: int
    """Working time per trainee who takes it."""
    places: int = 1
    """How many trainees it takes at most (« capacité »)."""
    needed: int = 1
    """How many the order needs at least."""
    quantity: int = 1
    """How many times the order asks for it (each one a task to give)."""
    start: date | None = None
    """The earliest day it can be done (material, a previous step); the order's due date
    is its latest."""
    machine: str | None = None
    """Regulated work on this dangerous machine (« travaux réglementés »): only for trainees
    of 18 or over, or minors the school's dérogation covers (see :class:`Register`)."""
    withdrawn: bool = False
    """Taken off the order (a new version says so; the earlier ones stay)."""


class AwayKind(StrEnum):
    """Why a trainee is not at the workshop."""

    PFMP = "pfmp"
    """Work placement in a company (« période de formation en milieu professionnel »)."""
    ABSENCE = "absence"


@frozen
class Away:
    """Days a trainee is not at the workshop, both included."""

    start: date
    end: date
    kind: AwayKind = AwayKind.ABSENCE


@frozen
class Availability:
    """A trainee's working time at the workshop (« disponibilité »)."""

    trainee: int
    minutes_per_week: int
    away: tuple[Away, ...] = ()

    def days(self, start: date, end: date) -> frozenset[date]:
        """The working days (Monday to Friday) of ``start``–``end`` not away."""
        result = set()
        day = start
        while day <= end:
            if day.weekday() < 5 and not any(a.start <= day <= a.end for a in self.away):
                result.add(day)
            day += timedelta(days=1)
        return frozenset(result)

    def minutes(self, start: date, end: date) -> int:
        """Working minutes in ``start``–``end``: a week's minutes spread over its five days."""
        return self.minutes_per_week * len(self.days(start, end)) // 5


@frozen
class Derogation:
    """The school's declaration of dérogation for regulated work on a machine
    (« déclaration de dérogation », R.4153-40), sent to the labour inspectorate."""

    machine: str
    declared: date
    """The day it was sent: valid three years from then (R.4153-40)."""
    place: str | None = None
    """The places of training it lists (« lieux de formation », R.4153-41 3°)."""
    supervisor: str | None = None
    """The quality or function of the competent person who supervises the young people
    during the work (« personne compétente chargée d'encadrer », R.4153-40 4°, R.4153-41 5°)."""

    @property
    def until(self) -> date:
        """The last day it is valid."""
        return add_years(self.declared, DEROGATION_YEARS) - timedelta(days=1)


@frozen
class YoungWorker:
    """What the register holds about one trainee."""

    trainee: int
    birth_date: date | None = None
    medical_given: date | None = None
    """The medical opinion (« avis médical ») on their fitness for the regulated work."""
    medical_until: date | None = None
    training: dict[str, date] = field(factory=dict)
    """Machine → the day their safety training for it (« formation à la sécurité ») was
    given."""


@frozen
class Register:
    """The register of young workers and of the school's dérogations."""

    people: dict[int, YoungWorker]
    derogations: dict[str, Derogation]

    def person(self, trainee: int) -> YoungWorker:
        return self.people.get(trainee) or YoungWorker(trainee)

    def why_not(self, trainee: int, machine: str, day: date) -> str | None:
        """Why the trainee may not do regulated work on ``machine`` on ``day`` (the first
        condition missing, for the instructor), or None when they may."""
        from ep_skills.i18n import _

        person = self.person(trainee)
        if person.birth_date is None:
            return _("no birth date in the register")
        if adult_on(person.birth_date, day):
            return None
        if day < add_years(person.birth_date, YOUNGEST):
            return _("under 15: no dérogation is possible")
        derogation = self.derogations.get(machine)
        if derogation is None:
            return _("a minor, and no dérogation declared for {machine}").format(machine=machine)
        if not derogation.declared <= day <= derogation.until:
            return _("a minor, and the dérogation for {machine} is not valid on {day}").format(
                machine=machine, day=day.isoformat()
            )
        if person.medical_given is None or person.medical_until is None:
            return _("a minor with no medical opinion recorded")
        if not person.medical_given <= day <= person.medical_until:
            return _("a minor whose medical opinion is not valid on {day}").format(
                day=day.isoformat()
            )
        trained = person.training.get(machine)
        if trained is None or trained > day:
            return _("a minor with no safety training recorded for {machine}").format(
                machine=machine
            )
        return None


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later (29 February: 1 March of a year without one)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February: the day after 28 February of that year
        return day.replace(year=day.year + years, day=28) + timedelta(days=1)


def adult_on(birth_date: date, day: date) -> bool:
    """Whether someone born on ``birth_date`` is 18 or over on ``day``."""
    return day >= add_years(birth_date, ADULT_AGE)


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso_day(value: str) -> date:
    return date.fromisoformat(value)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# -- order tasks ------------------------------------------------------------------------------


def order_tasks(storage: Storage, *, withdrawn: bool = False) -> list[OrderTask]:
    """The tasks of every order, by order then task (those taken off only with ``withdrawn``)."""
    result = []
    for _name, (_v, data) in sorted(latest_versions(storage, _TASK).items()):
        task = OrderTask(
            order=data["order"],
            task=data["task"],
            minutes=int(data["minutes"]),
            places=int(data["places"]),
            needed=int(data["needed"]),
            quantity=int(data["quantity"]),
            start=_day(data.get("start")),
            machine=data.get("machine"),
            withdrawn=bool(data.get("withdrawn")),
        )
        if withdrawn or not task.withdrawn:
            result.append(task)
    return result


def save_order_task(storage: Storage, task: OrderTask) -> None:
    """Write ``task`` as the newest version of its order's task (in the caller's transaction)."""
    append_version(
        storage,
        _TASK,
        f"{task.order}{_SEP}{task.task}",
        {
            "order": task.order,
            "task": task.task,
            "minutes": task.minutes,
            "places": task.places,
            "needed": task.needed,
            "quantity": task.quantity,
            "start": _iso(task.start),
            "machine": task.machine,
            "withdrawn": task.withdrawn,
        },
    )


# -- availability -----------------------------------------------------------------------------


def availabilities(storage: Storage) -> dict[int, Availability]:
    """Each trainee's latest working time, by trainee id (those never set are absent)."""
    return {
        int(who): Availability(
            trainee=int(who),
            minutes_per_week=int(data["minutes_per_week"]),
            away=tuple(
                Away(
                    date.fromisoformat(a["start"]),
                    date.fromisoformat(a["end"]),
                    AwayKind(a["kind"]),
                )
                for a in data["away"]
            ),
        )
        for who, (_v, data) in latest_versions(storage, _AVAILABILITY).items()
    }


def save_availability(storage: Storage, availability: Availability) -> None:
    append_version(
        storage,
        _AVAILABILITY,
        str(availability.trainee),
        {
            "minutes_per_week": availability.minutes_per_week,
            "away": [
                {"start": a.start.isoformat(), "end": a.end.isoformat(), "kind": str(a.kind)}
                for a in availability.away
            ],
        },
    )


# -- the register of young workers ------------------------------------------------------------


def register(storage: Storage) -> Register:
    """The register as it stands: each trainee's latest entries, each machine's latest
    declaration."""
    people: dict[int, dict[str, Any]] = {}
    for who, (_v, data) in latest_versions(storage, _BIRTH).items():
        people.setdefault(int(who), {})["birth_date"] = _day(data["day"])
    for who, (_v, data) in latest_versions(storage, _MEDICAL).items():
        entry = people.setdefault(int(who), {})
        entry["medical_given"] = _day(data["given"])
        entry["medical_until"] = _day(data["until"])
    for name, (_v, data) in latest_versions(storage, _TRAINING).items():
        who, _sep, machine = name.partition(_SEP)
        trained = _day(data["day"])
        if trained is not None:
            people.setdefault(int(who), {}).setdefault("training", {})[machine] = trained
    derogations = {
        machine: Derogation(
            machine,
            date.fromisoformat(data["declared"]),
            data.get("place"),
            data.get("supervisor"),
        )
        for machine, (_v, data) in latest_versions(storage, _DEROGATION).items()
    }
    return Register(
        people={who: YoungWorker(trainee=who, **fields) for who, fields in people.items()},
        derogations=derogations,
    )


def save_birth_date(storage: Storage, trainee: int, day: date) -> None:
    append_version(storage, _BIRTH, str(trainee), {"day": day.isoformat()})


def save_medical_opinion(storage: Storage, trainee: int, given: date, until: date) -> None:
    append_version(
        storage, _MEDICAL, str(trainee), {"given": given.isoformat(), "until": until.isoformat()}
    )


def save_safety_training(storage: Storage, trainee: int, machine: str, day: date) -> None:
    append_version(storage, _TRAINING, f"{trainee}{_SEP}{machine}", {"day": day.isoformat()})


def save_derogation(storage: Storage, derogation: Derogation) -> None:
    append_version(
        storage,
        _DEROGATION,
        derogation.machine,
        {
            "declared": derogation.declared.isoformat(),
            "place": derogation.place,
            "supervisor": derogation.supervisor,
        },
    )
