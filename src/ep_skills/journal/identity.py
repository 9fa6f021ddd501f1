"""Who a trainee is, for people and for other software: names, external ids, metadata.

A trainee is found by their number in the journal, by the id the school's other software
gives them (``external_id``, unique in a journal), or by name. Names are how instructors
speak, so two trainees may share one only when the school's software tells them apart by
their external ids; then a name alone no longer says who is meant, and the journal asks for
the number or the external id (:class:`~ep_skills.errors.ConflictError`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from attrs import evolve

from ep_skills.errors import AlreadyExistsError, ConflictError, InvalidValueError
from ep_skills.i18n import _
from ep_skills.journal.model import TRAINEE_FIELDS, Trainee
from ep_skills.journal.values import LIMITS, check_day, check_mapping, check_text

__all__ = [
    "KEEP",
    "Keep",
    "changed_fields",
    "check_metadata",
    "check_name_free",
    "pick_named",
    "updated",
]


class Keep:
    """The value of an argument not given to an update: the field keeps its value (``None``
    would clear it)."""

    _instance: Keep | None = None

    def __new__(cls) -> Keep:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep()


def check_metadata(value: object) -> dict[str, str]:
    """Free metadata: names to texts, small enough to travel with every trainee.

    :raises InvalidValueError: not a mapping of texts to texts, or too large.
    """
    mapping = check_mapping(value, "metadata")
    checked: dict[str, str] = {}
    for key, item in mapping.items():
        if not isinstance(item, str):
            raise InvalidValueError(
                _("metadata: the value of {key!r} is not text: {value!r}").format(
                    key=key, value=item
                ),
                field="metadata",
                value=value,
            )
        name = check_text(key, "metadata")
        if name is None:
            raise InvalidValueError(_("metadata: an empty name"), field="metadata", value=value)
        checked[name] = check_text(item, "metadata") or ""
    if sum(len(k) + len(v) for k, v in checked.items()) > LIMITS["metadata"]:
        raise InvalidValueError(
            _("metadata: at most {limit} characters in all").format(limit=LIMITS["metadata"]),
            field="metadata",
            value=value,
        )
    return checked


def check_name_free(
    name: str,
    external_id: str | None,
    named: Sequence[Trainee],
    by_external_id: Trainee | None,
    *,
    itself: int = 0,
) -> None:
    """Refuse a name or an external id another trainee (not ``itself``) already has.

    Homonyms are allowed when every one of them has an external id: the school's software
    tells them apart.

    :raises AlreadyExistsError: the external id is taken, or the name is and one of the
        trainees concerned has no external id.
    """
    if by_external_id is not None and by_external_id.id != itself:
        raise AlreadyExistsError(
            _("the external id {id!r} is already {name}'s").format(
                id=external_id, name=by_external_id.name
            ),
            field="external_id",
            value=external_id,
        )
    others = [t for t in named if t.id != itself]
    if others and (external_id is None or any(t.external_id is None for t in others)):
        raise AlreadyExistsError(
            _(
                "a trainee named {name!r} already exists (two trainees may share a name "
                "when each has an external id)"
            ).format(name=name),
            field="name",
            value=name,
        )


def pick_named(name: str, named: Sequence[Trainee]) -> Trainee | None:
    """The one trainee of that name, None if none.

    :raises ConflictError: homonyms: the name alone does not say who.
    """
    if len(named) > 1:
        who = ", ".join(f"#{t.id} ({t.external_id})" for t in named)
        raise ConflictError(
            _("{n} trainees are named {name!r}: give the number or the external id ({who})").format(
                n=len(named), name=name, who=who
            ),
            field="trainee",
            value=name,
        )
    return named[0] if named else None


def updated(
    trainee: Trainee,
    *,
    name: str | Keep | None,
    cohort: str | Keep | None,
    start_date: date | Keep | None,
    option: str | Keep | None,
    external_id: str | Keep | None,
    metadata: Mapping[str, str] | Keep | None,
) -> Trainee:
    """``trainee`` with the given fields checked and changed (:data:`KEEP` keeps one)."""
    changes: dict[str, object] = {}
    if not isinstance(name, Keep):
        checked = check_text(name, "name", strict=True)
        if checked is None:
            raise InvalidValueError(_("a trainee needs a name"), field="name", value=name)
        changes["name"] = checked
    if not isinstance(cohort, Keep):
        changes["cohort"] = check_text(cohort, "cohort", strict=True)
    if not isinstance(start_date, Keep):
        changes["start_date"] = check_day(start_date, "start_date")
    if not isinstance(option, Keep):
        changes["option"] = check_text(option, "option", strict=True)
    if not isinstance(external_id, Keep):
        changes["external_id"] = check_text(external_id, "external_id", strict=True)
    if not isinstance(metadata, Keep):
        changes["metadata"] = check_metadata(metadata)
    return evolve(trainee, **changes)  # type: ignore[arg-type]


def changed_fields(before: Trainee, after: Trainee) -> list[str]:
    """The fields a change would change (a rename that only changes the case is one)."""
    return [f for f in TRAINEE_FIELDS if getattr(before, f) != getattr(after, f)]
