"""The bench page over HTTP: sign-in, sessions, CSRF, recording, corrections, a trainee's
account kept to its own page, bad input — each answer checked against the journal itself.

Driven through Starlette's test client (the whole ASGI application, its worker threads and
the journal shared between them); tests/test_web_browser.py drives the same pages in Chromium.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from starlette.testclient import TestClient

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.i18n import using_language
from ep_skills.journal.model import Role
from ep_skills.web import create_app
from ep_skills.web.accounts import (
    accounts,
    add_account,
    authenticate,
    disable_account,
    set_password,
)
from ep_skills.web.sessions import SessionStore

TODAY = date(2026, 3, 20)
PASSWORD = "établi-2026"
TASK = "conduire-ligne-mode-normal"
FR = ("--lang", "fr", "--db")


class Clock:
    """A clock the test moves by hand (session expiry)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with open_journal(tmp_path / "atelier.db", create=True, today=TODAY) as opened:
        for name in ("Léa Martin", "Hugo Bernard", "<script>window.__xss=1</script>Zoé"):
            opened.add_trainee(name, diploma="cap-cip", cohort="2026", start_date=date(2025, 9, 1))
        opened.add_order("2026-041", customer="Mécanique du Gier", title="400 équerres")
        add_account(opened, "maitre", PASSWORD, name="Jean Maître")
        add_account(opened, "lea", PASSWORD, trainee="Léa Martin")
        yield opened


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(journal: Journal, clock: Clock) -> Iterator[TestClient]:
    app = create_app(journal, sessions=SessionStore(clock=clock))
    with TestClient(app, base_url="http://bench.test") as test_client:
        yield test_client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: TestClient, login: str = "maitre", password: str = PASSWORD) -> str:
    """Sign in; returns the CSRF token of the session's forms."""
    token = _csrf(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"login": login, "password": password, "csrf": token, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    landing = client.get(answer.headers["location"])
    assert landing.status_code == 200
    return _csrf(landing.text)


def _ids(journal: Journal, *names: str) -> list[str]:
    return [str(journal.trainee(name).id) for name in names]


def _record(client: TestClient, csrf: str, journal: Journal, **fields: object):
    data: dict[str, object] = {
        "csrf": csrf,
        "form_id": "f1",
        "trainee": _ids(journal, "Léa Martin", "Hugo Bernard"),
        "task": TASK,
        "order": "2026-041",
    }
    data.update(fields)
    return client.post("/record", data=data, follow_redirects=False)


# -- sign-in and sessions ----------------------------------------------------------------------


def test_pages_ask_to_sign_in_first(client: TestClient) -> None:
    answer = client.get("/record", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/record"
    assert client.post("/record", data={"csrf": "x"}).status_code == 401


def test_wrong_password_and_unknown_login_read_the_same(client: TestClient) -> None:
    token = _csrf(client.get("/login").text)
    wrong = client.post("/login", data={"login": "maitre", "password": "nope", "csrf": token})
    unknown = client.post("/login", data={"login": "nobody", "password": "nope", "csrf": token})
    assert wrong.status_code == unknown.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in wrong.text
    assert "ep_session" not in client.cookies
    assert "ep_session" not in wrong.headers.get("set-cookie", "")


def test_a_session_expires_when_idle(client: TestClient, clock: Clock) -> None:
    sign_in(client)
    assert client.get("/record").status_code == 200
    clock.now += 2 * 3600 + 1
    answer = client.get("/record", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    expired = client.post("/record", data={"csrf": "x"})
    assert expired.status_code == 401
    assert "Votre session a expiré" in expired.text


def test_signing_out_ends_the_session(client: TestClient) -> None:
    csrf = sign_in(client)
    client.post("/logout", data={"csrf": csrf})
    assert client.get("/record", follow_redirects=False).status_code == 303


def test_a_disabled_account_is_out_at_once(client: TestClient, journal: Journal) -> None:
    sign_in(client)
    disable_account(journal, "maitre")
    assert client.get("/record", follow_redirects=False).status_code == 303
    assert authenticate(journal, "maitre", PASSWORD) is None
    set_password(journal, "maitre", "nouveau-mot")
    assert authenticate(journal, "maitre", "nouveau-mot") is not None


def test_accounts_are_append_only_and_hashed(journal: Journal) -> None:
    set_password(journal, "maitre", "autre-mot-de-passe")
    kept = journal.storage.meta_items("web:account:maitre:")
    assert len(kept) == 2  # the first version stays, the new one is added
    assert all(PASSWORD not in value for value in kept.values())
    assert all("scrypt$" in value for value in kept.values())
    assert [a.login for a in accounts(journal)] == ["lea", "maitre"]


# -- CSRF ------------------------------------------------------------------------------------------


def test_a_forged_form_writes_nothing(client: TestClient, journal: Journal) -> None:
    csrf = sign_in(client)
    before = journal.storage.count_assessments()
    forged = _record(client, "not-the-token", journal)
    assert forged.status_code == 403
    assert "Ce formulaire a été refusé" in forged.text
    other_site = client.post(
        "/record",
        data={"csrf": csrf, "trainee": _ids(journal, "Léa Martin"), "task": TASK},
        headers={"origin": "http://evil.example"},
    )
    assert other_site.status_code == 403
    assert journal.storage.count_assessments() == before


# -- recording -------------------------------------------------------------------------------------


def test_record_a_team_task_with_one_level_changed(client: TestClient, journal: Journal) -> None:
    csrf = sign_in(client)
    levels = client.get(f"/record/levels?task={TASK}").text
    codes = re.findall(r'name="level:([^"]+)"', levels)
    assert codes, levels
    answer = _record(
        client,
        csrf,
        journal,
        levels_for=TASK,
        **{f"level:{codes[0]}": "RR"},
        note="bonne cadence",
    )
    assert answer.status_code == 303, answer.text
    number = int(re.search(r"/record/(\d+)", answer.headers["location"]).group(1))
    record = journal.task_record(number)
    assert sorted(record.trainees) == sorted(
        int(i) for i in _ids(journal, "Léa Martin", "Hugo Bernard")
    )
    assert record.assessor == "Jean Maître" and record.role == Role.MAITRE
    assert record.order == "2026-041" and record.note == "bonne cadence"
    # The audit names the signed-in account, not the server's process.
    told = [e for e in journal.audit() if e.action == "record" and e.subject == str(number)]
    assert len(told) == 2 and {e.author for e in told} == {"account:maitre"}
    assert {a.competency: a.level for a in record.assessments}[codes[0]] == "RR"
    shown = client.get(answer.headers["location"])
    assert f"Enregistrement n° {number}" in shown.text
    assert journal.progress("Léa Martin").node(codes[0]).state is not None


def test_the_record_page_says_when_a_minor_did_regulated_work(
    client: TestClient, journal: Journal
) -> None:
    journal.add_order_task("2026-041", TASK, minutes=120, places=2, machine="presse à injecter")
    journal.set_birth_date("Léa Martin", date(2009, 6, 1))  # 16
    journal.set_birth_date("Hugo Bernard", date(2007, 2, 1))  # 19
    csrf = sign_in(client)
    answer = _record(client, csrf, journal)
    assert answer.status_code == 303
    shown = client.get(answer.headers["location"]).text
    assert "Travaux réglementés : le droit des jeunes travailleurs n&#39;est pas respecté" in shown
    assert "Léa Martin : travaux réglementés sur presse à injecter" in shown
    assert "Hugo Bernard : travaux" not in shown
    # Once the register covers her, nothing is said.
    journal.declare_derogation("presse à injecter", date(2025, 9, 1))
    journal.record_medical_opinion("Léa Martin", date(2025, 9, 15))
    journal.record_safety_training("Léa Martin", "presse à injecter", date(2025, 9, 20))
    again = client.get(answer.headers["location"]).text
    assert "Travaux réglementés" not in again


def test_the_same_form_sent_twice_is_written_once(client: TestClient, journal: Journal) -> None:
    csrf = sign_in(client)
    first = _record(client, csrf, journal)
    again = _record(client, csrf, journal)
    assert again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert len(journal.storage.records(journal.trainee("Léa Martin").id)) == 1


def test_the_same_work_twice_asks_first(client: TestClient, journal: Journal) -> None:
    csrf = sign_in(client)
    _record(client, csrf, journal, form_id="a")
    asked = _record(client, csrf, journal, form_id="b")
    assert asked.status_code == 409
    assert "déjà dans le journal" in asked.text
    assert len(journal.storage.records(journal.trainee("Léa Martin").id)) == 1
    confirmed = _record(client, csrf, journal, form_id="c", again="1")
    assert confirmed.status_code == 303
    assert len(journal.storage.records(journal.trainee("Léa Martin").id)) == 2


def test_two_instructors_recording_the_same_work_at_once(journal: Journal) -> None:
    """Two sign-ins tap « Enregistrer » for the same team at the same moment: one record."""
    app = create_app(journal)
    results: list[int] = []
    barrier = threading.Barrier(2)

    def instructor(form_id: str) -> None:
        with TestClient(app, base_url="http://bench.test") as own:
            csrf = sign_in(own)
            barrier.wait()
            results.append(_record(own, csrf, journal, form_id=form_id).status_code)

    threads = [threading.Thread(target=instructor, args=(f,)) for f in ("x", "y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [303, 409]
    assert len(journal.storage.records(journal.trainee("Léa Martin").id)) == 1


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"trainee": []}, 422, "au moins un jeune"),
        ({"trainee": ["abc"]}, 422, "n'est pas un nombre"),
        ({"trainee": ["99999"]}, 404, "99999"),
        ({"task": ""}, 422, "tâche"),
        ({"task": "no-such-task"}, 404, "no-such-task"),
        ({"order": "NOPE"}, 404, "NOPE"),
        ({"day": "2099-01-01"}, 422, "futur"),
        ({"day": "hier"}, 422, "n'est pas une date"),
        ({"autonomy": "9"}, 422, "autonom"),
    ],
)
def test_bad_input_is_said_in_french_and_writes_nothing(
    client: TestClient, journal: Journal, fields: dict[str, object], status: int, words: str
) -> None:
    csrf = sign_in(client)
    before = journal.storage.count_assessments()
    answer = _record(client, csrf, journal, **fields)
    assert answer.status_code == status, answer.text
    assert words in html.unescape(answer.text)
    assert 'role="alert"' in answer.text
    assert "Traceback" not in answer.text
    assert journal.storage.count_assessments() == before


def test_a_malformed_or_huge_form_is_refused(client: TestClient, journal: Journal) -> None:
    csrf = sign_in(client)
    too_many = {f"f{i}": "x" for i in range(1000)} | {"csrf": csrf}
    assert client.post("/record", data=too_many).status_code == 400
    huge = client.post(
        "/record",
        data={"csrf": csrf},
        files={"photo": ("big.jpg", b"\xff" * (13 << 20), "image/jpeg")},
    )
    assert huge.status_code == 413
    assert "trop" in huge.text
    assert journal.storage.count_assessments() == 0


# -- corrections and withdrawals ---------------------------------------------------------------


def test_correct_then_withdraw_keeps_the_original(client: TestClient, journal: Journal) -> None:
    csrf = sign_in(client)
    location = _record(client, csrf, journal).headers["location"]
    number = int(re.search(r"/record/(\d+)", location).group(1))
    first = journal.storage.record_rows(number)[0]
    assert client.get(f"/assessment/{first.id}/correct").status_code == 200
    corrected = client.post(
        f"/assessment/{first.id}/correct",
        data={"csrf": csrf, "action": "level", "level": "VV", "note": "revu"},
        follow_redirects=False,
    )
    assert corrected.status_code == 303
    rows = journal.storage.record_rows(number)
    latest = [r for r in rows if r.supersedes == first.id]
    assert latest and latest[0].level == "VV" and latest[0].assessor == "Jean Maître"
    assert journal.storage.assessment(first.id).level == first.level  # the original stays
    withdrawn = client.post(
        f"/record/{number}/withdraw",
        data={"csrf": csrf, "note": "mauvaise équipe"},
        follow_redirects=False,
    )
    assert withdrawn.status_code == 303
    assert journal.storage.count_assessments() > len(rows)
    page = client.get(f"/trainee/{first.trainee}").text
    assert f"/trainee/{first.trainee}/evidence/{first.competency}" in page
    evidence = client.get(
        f"/trainee/{first.trainee}/evidence/{first.competency}", headers={"hx-request": "true"}
    ).text
    assert "mauvaise équipe" in evidence
    assert 'class="old"' in evidence  # withdrawn: struck through, still shown
    assert "<html" not in evidence  # a part of the page, for htmx


# -- a trainee's account -----------------------------------------------------------------------


def test_a_trainee_sees_only_their_own_page(client: TestClient, journal: Journal) -> None:
    sign_in(client, "lea")
    own = journal.trainee("Léa Martin").id
    other = journal.trainee("Hugo Bernard").id
    assert client.get(f"/trainee/{own}").status_code == 200
    for path in (
        f"/trainee/{other}",
        f"/trainee/{other}/livret",
        "/record",
        "/cohort",
        "/trainees",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "Hugo" not in answer.text


def test_a_trainee_self_assessment_is_labelled_and_never_counts(
    client: TestClient, journal: Journal
) -> None:
    csrf = sign_in(client, "lea")
    own = journal.trainee("Léa Martin").id
    answer = client.post(
        f"/trainee/{own}/self",
        data={"csrf": csrf, "form_id": "s1", "task": TASK, "note": "je pense avoir réussi"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    rows = journal.storage.assessments(own)
    assert rows and all(r.role == Role.AUTO for r in rows)
    assert all(r.assessor == "Léa Martin" for r in rows)
    assert journal.progress(own).readiness == 0
    code = rows[0].competency
    page = client.get(f"/trainee/{own}/evidence/{code}").text
    assert 'class="evidence self"' in page
    assert "Auto-évaluations" in page
    assert "je pense avoir réussi" in page
    other = journal.trainee("Hugo Bernard").id
    refused = client.post(
        f"/trainee/{other}/self", data={"csrf": csrf, "form_id": "s2", "task": TASK}
    )
    assert refused.status_code == 404
    assert journal.storage.assessments(other) == []


# -- what the pages show -----------------------------------------------------------------------


def test_user_text_is_shown_never_run(client: TestClient, journal: Journal) -> None:
    sign_in(client)
    xss = journal.trainee("<script>window.__xss=1</script>Zoé").id
    for path in ("/record", "/trainees", "/cohort", f"/trainee/{xss}"):
        page = client.get(path).text
        assert "<script>window.__xss" not in page, path
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;Zoé" in page, path


def test_pages_are_french_first_and_english_on_request(client: TestClient) -> None:
    sign_in(client)
    french = client.get("/record").text
    assert '<html lang="fr">' in french and "Enregistrer une tâche" in french
    english = client.get("/record?lang=en")
    assert '<html lang="en">' in english.text and "Record a task" in english.text
    assert client.get("/trainees").text.count('<html lang="en">') == 1  # the choice is kept


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/login", "/static/htmx.min.js", "/static/bench.css"):
        headers = client.get(path).headers
        assert "default-src 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"


def test_the_workshop_view_filters_the_gaps(client: TestClient, journal: Journal) -> None:
    sign_in(client)
    everything = client.get("/cohort?cohort=2026").text
    some = client.get("/cohort?cohort=2026&q=CP06").text
    assert everything.count("<tr>") > some.count("<tr>")
    assert "CP06" in some


def test_the_livret_prints_from_the_page(client: TestClient, journal: Journal) -> None:
    sign_in(client)
    own = journal.trainee("Léa Martin").id
    livret = client.get(f"/trainee/{own}/livret")
    assert livret.status_code == 200
    assert "Léa Martin" in livret.text and "@page" in livret.text


# -- the command line --------------------------------------------------------------------------


def test_accounts_from_the_command_line(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.db")

    def ep(*args: str, password: str | None = None) -> Result:
        return runner.invoke(cli, [*FR, db, *args], input=password)

    with using_language("fr"):
        assert ep("init").exit_code == 0
        assert ep("trainee", "add", "Léa Martin", "--diploma", "cap-cip").exit_code == 0
        made = ep(
            "account", "add", "maitre", "--name", "Jean", "--password-stdin",
            password="motdepasse-1\n",
        )  # fmt: skip
        assert made.exit_code == 0, made.output
        assert "Compte maitre créé" in made.output
        short = ep("account", "add", "court", "--password-stdin", password="abc\n")
        assert short.exit_code != 0 and "au moins 8 caractères" in short.output
        assert "Traceback" not in short.output
        unknown = ep(
            "account", "add", "x1", "--trainee", "Nobody", "--password-stdin",
            password="motdepasse-1\n",
        )  # fmt: skip
        assert unknown.exit_code != 0 and "Nobody" in unknown.output
        listed = ep("account", "list")
        assert "maitre" in listed.output and "court" not in listed.output


def test_serve_refuses_a_journal_without_account(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "none.db")
    runner.invoke(cli, ["--db", db, "init"])
    answer = runner.invoke(cli, ["--lang", "fr", "--db", db, "serve"])
    assert answer.exit_code != 0
    assert "ep-skills account add" in answer.output
    assert "Traceback" not in answer.output


def test_an_instructor_cannot_write_a_trainees_self_assessment(
    client: TestClient, journal: Journal
) -> None:
    csrf = sign_in(client)
    own = journal.trainee("Léa Martin").id
    answer = client.post(f"/trainee/{own}/self", data={"csrf": csrf, "form_id": "i", "task": TASK})
    assert answer.status_code == 404
    assert journal.storage.assessments(own) == []


@pytest.mark.sqlite_only  # a real process over a file: the server backend is tested above
def test_serve_in_a_real_process(tmp_path: Path) -> None:
    """``ep-skills serve`` as an instructor starts it: the page answers, Ctrl+C stops it."""
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    db = tmp_path / "atelier.db"
    with open_journal(db, create=True) as made:
        add_account(made, "maitre", PASSWORD, name="Jean")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = Path(sys.executable).parent / "ep-skills"
    command = [str(script), "--lang", "fr", "--db", str(db)]
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = ""
        for _attempt in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as got:
                    page = got.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert "Se connecter" in page
        busy = subprocess.run(
            [*command, "serve", "--port", str(port)], capture_output=True, text=True, timeout=60
        )
        assert busy.returncode != 0
        assert "choisissez un autre --port" in busy.stderr
        assert "Traceback" not in busy.stderr
    finally:
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    assert f"http://localhost:{port}/" in out
    assert "Traceback" not in err


def test_a_journal_that_becomes_unavailable_is_said_in_french(
    client: TestClient, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file locked by another program, the server down: one clear message, no page of
    half-read data, and nothing written."""
    from ep_skills.errors import JournalUnavailableError

    csrf = sign_in(client)

    def unavailable(*_args: object, **_kwargs: object) -> None:
        raise JournalUnavailableError("le journal est verrouillé par un autre programme")

    monkeypatch.setattr(journal.storage, "meta_items", unavailable)
    page = client.get("/trainees")
    assert page.status_code == 503
    assert "le journal est verrouillé par un autre programme" in page.text
    assert "Léa Martin" not in page.text
    sent = _record(client, csrf, journal)
    assert sent.status_code == 503
    monkeypatch.undo()
    assert journal.storage.count_assessments() == 0


def test_guessing_a_password_is_slowed_down(client: TestClient, clock: Clock) -> None:
    token = _csrf(client.get("/login").text)
    for _attempt in range(5):
        wrong = client.post("/login", data={"login": "maitre", "password": "x", "csrf": token})
        assert wrong.status_code == 401
    # The right password waits too, so that guessing cannot tell it apart.
    blocked = client.post("/login", data={"login": "maitre", "password": PASSWORD, "csrf": token})
    assert blocked.status_code == 429
    assert "Trop de mots de passe erronés" in blocked.text
    assert "ep_session" not in blocked.headers.get("set-cookie", "")
    clock.now += 601
    assert sign_in(client)


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example"])
def test_sign_in_never_leads_to_another_site(client: TestClient, target: str) -> None:
    token = _csrf(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"login": "maitre", "password": PASSWORD, "csrf": token, "next": target},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/record"
