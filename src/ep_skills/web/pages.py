"""The bench page's pages: each a function from what was asked (:class:`Page`) to an answer.

Every rule is the library's: a page gathers the fields of its form, calls the journal
(:meth:`~ep_skills.api.Journal.record`, :meth:`~ep_skills.api.Journal.correct`…) and shows
what it answered, or its error in place. What a page adds is only what a screen needs: the
choices to tap, a warning before the same work is written twice, and keeping a trainee's
account to the trainee's own page.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from starlette.responses import HTMLResponse, RedirectResponse, Response

from ep_skills.errors import EpSkillsError, InvalidValueError, NotFoundError
from ep_skills.i18n import _
from ep_skills.journal.model import Order, Role, TaskRecord, Trainee, effective_assessments
from ep_skills.web.accounts import AccountKind, authenticate
from ep_skills.web.app import SESSION_COOKIE, Access, Page

__all__ = ["ROUTES"]

_NOTE = 2000


# -- sign-in ---------------------------------------------------------------------------------


def login_form(page: Page) -> Response:
    if page.account is not None:
        return page.redirect(_home(page))
    return page.render("login.html.j2", next=_safe_next(page.value("next")))


def _safe_next(target: str) -> str:
    # Only a path of this site: never a redirection elsewhere after sign-in (« //host » and
    # « /\\host » lead browsers to another site).
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login(page: Page) -> Response:
    login_name = page.value("login").lower()
    target = _safe_next(page.value("next"))

    def refused(status: int, message: str) -> Response:
        return page.render(
            "login.html.j2", status=status, next=target, error=message, login=page.value("login")
        )

    if page.bench.sessions.throttled(login_name):
        return refused(
            429, _("Too many wrong passwords for this login: try again in a few minutes.")
        )
    account = authenticate(page.bench.journal, login_name, page.value("password"))
    if account is None:
        page.bench.sessions.failed(login_name)
        return refused(401, _("Wrong login or password."))
    session = page.bench.sessions.open(account.login)
    if target == "/":
        target = f"/trainee/{account.trainee}" if account.kind is AccountKind.TRAINEE else "/record"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="strict",
        secure=page.request.url.scheme == "https",
    )
    return response


def logout(page: Page) -> Response:
    if page.session is not None:
        page.bench.sessions.close(page.session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _home(page: Page) -> str:
    account = page.account
    if account is not None and account.kind is AccountKind.TRAINEE:
        return f"/trainee/{account.trainee}"
    return "/record"


def home(page: Page) -> Response:
    return RedirectResponse(_home(page), status_code=303)


# -- recording -------------------------------------------------------------------------------


def _trainees(page: Page, cohort: str) -> list[Trainee]:
    return page.bench.journal.trainees(cohort or None)


def _cohorts(page: Page) -> list[str]:
    return sorted({p.cohort for p in page.bench.journal.trainees() if p.cohort})


def _int(text: str, field: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidValueError(
            _("{field}: {value!r} is not a number").format(field=field, value=text), field=field
        ) from None


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValueError(
            _("{value!r} is not a date").format(value=text), field="date", value=text
        ) from None


def _record_context(page: Page, **extra: Any) -> dict[str, Any]:
    journal = page.bench.journal
    cohort = page.value("cohort")
    people = _trainees(page, cohort)
    diplomas = sorted({p.diploma for p in people})
    catalogue = {d: journal.diploma(d) for d in diplomas}
    return {
        "cohort": cohort,
        "cohorts": _cohorts(page),
        "people": people,
        "catalogue": catalogue,
        "orders": _open_orders(page),
        "today": journal.today,
        "chosen": {
            "trainees": set(page.values("trainee")),
            "task": page.value("task"),
            "order": page.value("order"),
            "day": page.value("day") or journal.today.isoformat(),
            "note": page.value("note"),
            "autonomy": page.value("autonomy"),
        },
        "form_id": page.value("form_id") or secrets.token_urlsafe(12),
        "levels": _levels_for(page, page.value("task"), people),
        **extra,
    }


PHOTOS_SHOWN = 12
"""The newest photos of a trainee's work shown on their page."""
OPEN_DAYS = 30
"""An order stays on the record form until this many days after it was due."""


def _open_orders(page: Page) -> list[Order]:
    """The orders still worked on: not due, or due less than :data:`OPEN_DAYS` ago, the
    soonest due first (a school's past orders would fill a tablet's screen)."""
    journal = page.bench.journal
    since = journal.today - timedelta(days=OPEN_DAYS)
    chosen = page.value("order")
    found = [o for o in journal.orders() if o.due is None or o.due >= since or o.ref == chosen]
    return sorted(found, key=lambda o: (o.due is None, o.due or since, o.ref))


def _levels_for(page: Page, task: str, people: Sequence[Trainee]) -> dict[str, Any] | None:
    """The competencies a task proposes, each with its proposed level and the scale's."""
    if not task:
        return None
    journal = page.bench.journal
    for diploma in sorted({p.diploma for p in people}):
        info = journal.diploma(diploma)
        found = info.tasks.get(task)
        if found is None:
            continue
        given = _levels_given(page, task)
        lines = []
        for link in found.competencies:
            proposed = link.level or info.scale.default_level or ""
            chosen = given.get(link.code, "")
            leaf = info.leaves.get(link.code)
            lines.append(
                {
                    "code": link.code,
                    "title": leaf.title if leaf else "",
                    "level": chosen or proposed,
                }
            )
        return {"task": found, "diploma": diploma, "lines": lines, "scale": info.scale}
    return None


def _levels_given(page: Page, task: str) -> dict[str, str]:
    """The levels the form's selects set (« level:CODE »), when they were shown for ``task``:
    the task changed without them (no script), the catalogue's proposals stand."""
    if page.value("levels_for") != task:
        return {}
    return {
        key.removeprefix("level:"): values[0]
        for key, values in page.form.items()
        if key.startswith("level:") and values and values[0]
    }


def record_form(page: Page) -> Response:
    return page.render("record.html.j2", **_record_context(page))


def record_levels(page: Page) -> Response:
    """The levels part of the form, for the task just tapped (htmx)."""
    context = _record_context(page)
    return page.render("record_levels.html.j2", **context)


def _same_work(
    page: Page, trainees: Sequence[int], task: str, order: str | None, day: date
) -> TaskRecord | None:
    """A record of the same trainees, task and order that day that still counts, if any.

    Found through the first trainee's rows on the task's first competency (an indexed read
    of one pair), not by reading the whole day: a school writes hundreds of records a day.
    """
    journal = page.bench.journal
    first = journal.trainee(min(trainees))
    catalogue = journal.diploma(first.diploma).tasks.get(task)
    if catalogue is None or not catalogue.competencies:
        return None  # the journal says what is wrong when it is asked to record it
    code = catalogue.competencies[0].code
    candidates = {
        row.record
        for row in journal.storage.assessments(first.id, code)
        if row.day == day and row.task == task and row.supersedes is None
    }
    wanted = sorted(trainees)
    for record_id in sorted(candidates):
        record = journal.storage.record(record_id)
        if (
            record is not None
            and sorted(record.trainees) == wanted
            and (record.order or None) == (order or None)
            and effective_assessments(journal.storage.record_rows(record_id))
        ):
            return record
    return None


def record(page: Page) -> Response:
    journal = page.bench.journal
    session = page.session
    assert session is not None
    assert page.account is not None
    form_id = page.value("form_id")
    if form_id and form_id in session.done:
        # The same form sent again (a second tap, a reload): show what it wrote.
        return page.redirect(session.done[form_id])
    try:
        trainees = [_int(v, "trainee") for v in page.values("trainee") if v]
        if not trainees:
            raise InvalidValueError(_("tap at least one trainee"), field="trainee")
        task = page.value("task")
        if not task:
            raise InvalidValueError(_("tap the task that was done"), field="task")
        order = page.value("order") or None
        day = _day(page.value("day")) or journal.today
        autonomy = _int(page.value("autonomy"), "autonomy") if page.value("autonomy") else None
        levels = _levels_given(page, task)
        note = page.value("note")[:_NOTE] or None
        upload = page.files.get("photo")
        photo = upload.file.read() if upload is not None and upload.filename else None
        with journal.storage.transaction():
            # Checked and written under the journal's write lock: two instructors tapping
            # « Enregistrer » for the same team at once take turns, and the second is asked.
            earlier = _same_work(page, trainees, task, order, day)
            if earlier is not None and not page.value("again"):
                return page.render(
                    "record.html.j2",
                    status=409,
                    **_record_context(page, earlier=earlier, earlier_names=_names(page, earlier)),
                )
            written = journal.record(
                trainees,
                task=task,
                order=order,
                day=day,
                levels=levels,
                autonomy=autonomy,
                assessor=page.account.name,
                role=Role.MAITRE,
                note=note,
                photo=photo or None,
            )
    except EpSkillsError as error:
        return page.render(
            "record.html.j2", status=_status_of(error), **_record_context(page, error=str(error))
        )
    target = f"/record/{written.id}?ok=1"
    session.remember(form_id or str(written.id), target)
    return page.redirect(target)


def _status_of(error: EpSkillsError) -> int:
    return 404 if isinstance(error, NotFoundError) else 422


def _names(page: Page, record: TaskRecord) -> list[str]:
    journal = page.bench.journal
    return [journal.trainee(t).name for t in record.trainees]


def record_page(page: Page) -> Response:
    journal = page.bench.journal
    record_id = _int(page.request.path_params["record_id"], "record")
    found = journal.task_record(record_id)
    rows = journal.storage.record_rows(record_id)
    current = {row.id: row for row in effective_assessments(rows)}
    info = journal.diploma(found.diploma) if found.diploma else None
    return page.render(
        "record_done.html.j2",
        record=found,
        names=_names(page, found),
        rows=rows,
        current=current,
        titles={code: leaf.title for code, leaf in info.leaves.items()} if info else {},
        task_title=(
            info.tasks[found.task].title if info and found.task and found.task in info.tasks else ""
        ),
        order=journal.storage.order(found.order) if found.order else None,
        photos=journal.record_photos(record_id),
        regulated=journal.regulated_work(found),
    )


def withdraw_record(page: Page) -> Response:
    record_id = _int(page.request.path_params["record_id"], "record")
    assert page.account is not None
    page.bench.journal.withdraw_record(
        record_id, assessor=page.account.name, note=page.value("note")[:_NOTE] or None
    )
    return page.redirect(f"/record/{record_id}?ok=withdrawn")


# -- a trainee's page ------------------------------------------------------------------------


def _person(page: Page) -> Trainee:
    """The trainee of the path, if this account may see them (a trainee sees only theirs)."""
    trainee_id = _int(page.request.path_params["trainee_id"], "trainee")
    account = page.account
    if (
        account is not None
        and account.kind is AccountKind.TRAINEE
        and account.trainee != trainee_id
    ):
        raise NotFoundError(_("This page does not exist."), field="trainee")
    return page.bench.journal.trainee(trainee_id)


def trainee_page(page: Page) -> Response:
    from ep_skills.referential.model import local_codes
    from ep_skills.reports.data import exam_outlook, trainee_report

    person = _person(page)
    journal = page.bench.journal
    report = trainee_report(journal, person.id, history=False, evidence=False)
    info = journal.diploma(person.diploma)
    session = journal.exam_session(person)
    return page.render(
        "trainee.html.j2",
        photos=journal.trainee_photos(person.id)[:PHOTOS_SHOWN],
        report=report,
        person=person,
        scale=info.scale,
        generated=journal.today,
        local=local_codes(report.referential),
        tasks=info.referential.tasks,
        levels=_levels_for(page, page.value("task"), [person]),
        chosen_task=page.value("task"),
        form_id=secrets.token_urlsafe(12),
        exam=session,
        outlook=exam_outlook(journal, person, session),
    )


def competency(page: Page) -> Response:
    """One competency's evidence, opened from the trainee's page (htmx), or as a page."""
    from ep_skills.referential.model import local_codes
    from ep_skills.reports.data import competency_line

    person = _person(page)
    journal = page.bench.journal
    info = journal.diploma(person.diploma)
    line = competency_line(journal, person.id, page.request.path_params["code"])
    template = (
        "competency_part.html.j2"
        if page.request.headers.get("hx-request")
        else "competency.html.j2"
    )
    return page.render(
        template,
        person=person,
        c=line,
        scale=info.scale,
        local=local_codes(info.referential),
    )


def photo(page: Page) -> Response:
    """A kept photo; a trainee's account sees only the photos of its own work."""
    journal = page.bench.journal
    sha256 = page.request.path_params["sha256"]
    account = page.account
    if account is not None and account.kind is AccountKind.TRAINEE:
        own = {p.sha256 for _r, _d, p in journal.trainee_photos(account.trainee or 0)}
        if sha256 not in own:
            raise NotFoundError(_("This page does not exist."), field="photo")
    kept, data = journal.photo(sha256)
    # Kept by its content: the same address always shows the same bytes.
    return Response(
        data,
        media_type=kept.mime,
        headers={"cache-control": "private, max-age=31536000, immutable"},
    )


def livret(page: Page) -> Response:
    from ep_skills.reports import livret_html

    person = _person(page)
    return HTMLResponse(livret_html(page.bench.journal, person.id))


def _own_person(page: Page) -> Trainee:
    """The trainee of the path, for a page only their own account opens (a self-assessment
    is the trainee's word: an instructor records with « Enregistrer »)."""
    account = page.account
    if account is None or account.kind is not AccountKind.TRAINEE:
        raise NotFoundError(_("This page does not exist."), field="trainee")
    return _person(page)


def self_assessment_levels(page: Page) -> Response:
    person = _own_person(page)
    return page.render(
        "self_levels.html.j2",
        person=person,
        levels=_levels_for(page, page.value("task"), [person]),
    )


def self_assessment(page: Page) -> Response:
    """A trainee's own view of a task they did: recorded as « auto », never counted."""
    person = _own_person(page)
    account = page.account
    assert account is not None
    assert page.session is not None
    form_id = page.value("form_id")
    if form_id and form_id in page.session.done:
        return page.redirect(page.session.done[form_id])
    task = page.value("task")
    if not task:
        raise InvalidValueError(_("tap the task that was done"), field="task")
    page.bench.journal.record(
        [person.id],
        task=task,
        levels=_levels_given(page, task),
        assessor=account.name,
        role=Role.AUTO,
        note=page.value("note")[:_NOTE] or None,
    )
    target = f"/trainee/{person.id}?ok=self"
    page.session.remember(form_id or secrets.token_urlsafe(8), target)
    return page.redirect(target)


# -- corrections -----------------------------------------------------------------------------


def correct_form(page: Page) -> Response:
    journal = page.bench.journal
    assessment_id = _int(page.request.path_params["assessment_id"], "assessment")
    row = journal.storage.assessment(assessment_id)
    if row is None:
        raise NotFoundError(_("no assessment #{id}").format(id=assessment_id), field="assessment")
    person = journal.trainee(row.trainee)
    info = journal.diploma(person.diploma)
    return page.render(
        "correct.html.j2",
        row=row,
        person=person,
        scale=info.scale,
        title=info.leaves[row.competency].title if row.competency in info.leaves else "",
    )


def correct(page: Page) -> Response:
    journal = page.bench.journal
    assert page.account is not None
    assessment_id = _int(page.request.path_params["assessment_id"], "assessment")
    withdraw = page.value("action") == "withdraw"
    written = journal.correct(
        assessment_id,
        level=None if withdraw else (page.value("level") or None),
        withdraw=withdraw,
        assessor=page.account.name,
        note=page.value("note")[:_NOTE] or None,
    )
    return page.redirect(f"/trainee/{written.trainee}?ok=corrected#c-{quote(written.competency)}")


# -- the cohort ------------------------------------------------------------------------------


def trainees_page(page: Page) -> Response:
    journal = page.bench.journal
    cohort = page.value("cohort")
    rows = journal.cohort_progress(cohort or None)
    return page.render("trainees.html.j2", rows=rows, cohort=cohort, cohorts=_cohorts(page))


def cohort_page(page: Page) -> Response:
    from ep_skills.referential.model import local_codes
    from ep_skills.reports.data import cohort_report

    cohort = page.value("cohort")
    search = page.value("q").lower()
    reports = cohort_report(page.bench.journal, cohort or None)
    views = []
    for report in reports:
        gaps = [
            g
            for g in report.gaps
            if not search
            or search in g.code.lower()
            or search in g.title.lower()
            or any(search in name.lower() for name in g.trainees)
        ]
        views.append((report, gaps, local_codes(report.diploma)))
    return page.render(
        "workshop.html.j2",
        views=views,
        cohort=cohort,
        cohorts=_cohorts(page),
        q=page.value("q"),
        scale=reports[0].scale if reports else None,
    )


ROUTES: list[tuple[str, Any, Access, list[str]]] = [
    ("/", home, Access.SIGNED_IN, ["GET"]),
    ("/login", login_form, Access.ANYONE, ["GET"]),
    ("/login", login, Access.ANYONE, ["POST"]),
    ("/logout", logout, Access.ANYONE, ["POST"]),
    ("/record", record_form, Access.INSTRUCTOR, ["GET"]),
    ("/record", record, Access.INSTRUCTOR, ["POST"]),
    ("/record/levels", record_levels, Access.INSTRUCTOR, ["GET"]),
    ("/record/{record_id}", record_page, Access.INSTRUCTOR, ["GET"]),
    ("/record/{record_id}/withdraw", withdraw_record, Access.INSTRUCTOR, ["POST"]),
    ("/trainees", trainees_page, Access.INSTRUCTOR, ["GET"]),
    ("/cohort", cohort_page, Access.INSTRUCTOR, ["GET"]),
    ("/trainee/{trainee_id}", trainee_page, Access.SIGNED_IN, ["GET"]),
    ("/trainee/{trainee_id}/livret", livret, Access.SIGNED_IN, ["GET"]),
    ("/trainee/{trainee_id}/evidence/{code}", competency, Access.SIGNED_IN, ["GET"]),
    ("/trainee/{trainee_id}/self/levels", self_assessment_levels, Access.SIGNED_IN, ["GET"]),
    ("/trainee/{trainee_id}/self", self_assessment, Access.SIGNED_IN, ["POST"]),
    ("/photo/{sha256}", photo, Access.SIGNED_IN, ["GET"]),
    ("/assessment/{assessment_id}/correct", correct_form, Access.INSTRUCTOR, ["GET"]),
    ("/assessment/{assessment_id}/correct", correct, Access.INSTRUCTOR, ["POST"]),
]
"""(path, page function, who may open it, methods)."""
