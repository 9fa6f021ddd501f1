"""Photos of the work: checked, stripped of their metadata, kept once by their hash, attached
to records in the record's own transaction, append-only, shown only to who may see them."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from ep_skills.api import Journal, open_journal
from ep_skills.errors import InvalidValueError, NotFoundError
from ep_skills.photos import MAX_SIDE, clean_photo

TODAY = date(2026, 3, 20)
TASK = "conduire-ligne-mode-normal"


def jpeg_with_gps(size: tuple[int, int] = (2400, 1200), orientation: int = 1) -> bytes:
    """A camera's JPEG: GPS position, device and owner in its EXIF, a rotation flag."""
    image = Image.new("RGB", size, (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x013B] = "Léa Martin"  # Artist
    exif[0x0112] = orientation  # Orientation
    exif[0x8825] = {1: "N", 2: (45.0, 26.0, 0.0), 3: "E", 4: (4.0, 23.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


@pytest.fixture
def journal(tmp_path: Path):
    with open_journal(tmp_path / "atelier.db", create=True, today=TODAY) as opened:
        opened.add_trainee("Léa Martin", diploma="cap-cip", start_date=date(2025, 9, 1))
        opened.add_trainee("Hugo Bernard", diploma="cap-cip", start_date=date(2025, 9, 1))
        yield opened


def test_a_photo_loses_its_metadata_and_is_scaled_down() -> None:
    raw = jpeg_with_gps()
    assert b"PhoneMaker" in raw and b"secret comment" in raw
    photo, data = clean_photo(raw)
    assert photo.mime == "image/jpeg"
    assert max(photo.width, photo.height) == MAX_SIDE
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    for secret in (b"PhoneMaker", "Léa Martin".encode(), b"secret comment", b"Exif", b"GPS"):
        assert secret not in data
    with Image.open(io.BytesIO(data)) as reread:
        assert not reread.getexif()
        assert "comment" not in reread.info


def test_a_photo_is_turned_upright_as_the_camera_meant() -> None:
    photo, _data = clean_photo(jpeg_with_gps((800, 400), orientation=6))  # rotated 90°
    assert (photo.width, photo.height) == (400, 800)


def test_a_transparent_png_stays_a_png() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(out, format="PNG")
    photo, data = clean_photo(out.getvalue())
    assert photo.mime == "image/png" and data.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"%PDF-1.4 fake", b"\xff\xd8\xff\xe0 truncated jpeg"],
)
def test_what_is_not_a_photo_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidValueError) as refused:
        clean_photo(data)
    assert refused.value.field == "photo"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 M pixels, a few kB
    with pytest.raises(InvalidValueError, match="pixels"):
        clean_photo(out.getvalue())


def test_a_record_keeps_its_photo_once(journal: Journal) -> None:
    raw = jpeg_with_gps()
    first = journal.record(["Léa Martin", "Hugo Bernard"], task=TASK, photo=raw)
    second = journal.record(["Léa Martin"], task=TASK, photo=raw)
    (kept,) = journal.record_photos(first.id)
    assert [p.sha256 for p in journal.record_photos(second.id)] == [kept.sha256]
    stored, data = journal.photo(kept.sha256)
    assert stored == kept and hashlib.sha256(data).hexdigest() == kept.sha256
    assert journal.attach_photo(first.id, raw) == kept  # attached once, not twice
    assert len(journal.record_photos(first.id)) == 1
    listed = journal.trainee_photos("Hugo Bernard")
    assert [(r, d) for r, d, _p in listed] == [(first.id, TODAY)]
    assert len(journal.trainee_photos("Léa Martin")) == 2
    with pytest.raises(NotFoundError):
        journal.photo("0" * 64)


def test_a_bad_photo_writes_no_record(journal: Journal) -> None:
    before = journal.storage.count_assessments()
    with pytest.raises(InvalidValueError):
        journal.record(["Léa Martin"], task=TASK, photo=b"not a photo")
    assert journal.storage.count_assessments() == before
    assert journal.storage.records(journal.trainee("Léa Martin").id) == []


@pytest.mark.sqlite_only  # the SQLite file's triggers and seals (the server's: test_postgresql)
def test_photos_are_append_only_and_sealed(tmp_path: Path) -> None:
    path = tmp_path / "sealed.db"
    with open_journal(path, create=True, today=TODAY) as journal:
        journal.add_trainee("Léa Martin", diploma="cap-cip")
        written = journal.record(["Léa Martin"], task=TASK, photo=jpeg_with_gps())
        assert journal.storage.verify() == []
    db = sqlite3.connect(path)
    for statement in (
        "UPDATE photo SET data = x'00'",
        "DELETE FROM record_photo",
        "UPDATE record_photo SET record = 99",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(statement)
    # Bytes changed behind ep-skills' back (its protections dropped first) show in verify.
    db.execute("DROP TRIGGER photo_append_only_update")
    db.execute("UPDATE photo SET data = x'00'")
    db.commit()
    db.close()
    storage = _unchecked(path)
    try:
        problems = storage.verify()
    finally:
        storage.close()
    assert any("photo 1" in p for p in problems), problems
    assert written.id == 1


def _unchecked(path: Path):
    from ep_skills.journal.sqlite import SqliteStorage

    return SqliteStorage(path, check=False)


def test_a_trainee_sees_the_photos_of_their_own_work_only(journal: Journal) -> None:
    from starlette.testclient import TestClient

    from ep_skills.web import create_app
    from ep_skills.web.accounts import add_account

    raw = jpeg_with_gps((600, 300))
    hugo_only = journal.record(["Hugo Bernard"], task=TASK, photo=raw)
    (hugo_photo,) = journal.record_photos(hugo_only.id)
    add_account(journal, "lea", "établi-2026", trainee="Léa Martin")
    add_account(journal, "maitre", "établi-2026", name="Jean")
    with TestClient(create_app(journal), base_url="http://bench.test") as client:
        _sign_in(client, "lea")
        assert client.get(f"/photo/{hugo_photo.sha256}").status_code == 404
        client.cookies.clear()
        _sign_in(client, "maitre")
        shown = client.get(f"/photo/{hugo_photo.sha256}")
        assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
        assert hashlib.sha256(shown.content).hexdigest() == hugo_photo.sha256
        assert f"/photo/{hugo_photo.sha256}" in client.get(f"/record/{hugo_only.id}").text


def test_a_photo_sent_with_the_record_form(journal: Journal) -> None:
    import re

    from starlette.testclient import TestClient

    from ep_skills.web import create_app
    from ep_skills.web.accounts import add_account

    add_account(journal, "maitre", "établi-2026", name="Jean")
    lea = str(journal.trainee("Léa Martin").id)
    with TestClient(create_app(journal), base_url="http://bench.test") as client:
        csrf = _sign_in(client, "maitre")
        fields = {"csrf": csrf, "trainee": lea, "task": TASK}
        refused = client.post(
            "/record",
            data=fields | {"form_id": "a"},
            files={"photo": ("piece.jpg", b"not a photo", "image/jpeg")},
        )
        assert refused.status_code == 422
        assert "n&#39;est pas une photo" in refused.text or "n'est pas une photo" in refused.text
        assert journal.storage.records(int(lea)) == []
        sent = client.post(
            "/record",
            data=fields | {"form_id": "b"},
            files={"photo": ("piece.jpg", jpeg_with_gps((640, 480)), "image/jpeg")},
            follow_redirects=False,
        )
        assert sent.status_code == 303, sent.text
        number = int(re.search(r"/record/(\d+)", sent.headers["location"]).group(1))
        (kept,) = journal.record_photos(number)
        page = client.get(f"/trainee/{lea}").text
        assert f"/photo/{kept.sha256}" in page


def test_the_livret_shows_the_photos_inline(journal: Journal) -> None:
    from ep_skills.reports import livret_html

    journal.record(["Léa Martin"], task=TASK, photo=jpeg_with_gps((640, 480)))
    html = livret_html(journal, "Léa Martin")
    assert html.count('src="data:image/jpeg;base64,') == 1
    inline = re.search(r'src="data:image/jpeg;base64,([^"]*)"', html).group(1)
    with Image.open(io.BytesIO(base64.b64decode(inline, validate=True))) as small:
        assert small.format == "JPEG" and max(small.size) <= 360
    assert "/photo/" not in html  # self-contained: nothing fetched


def _sign_in(client, login: str) -> str:
    import re

    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    landing = client.post(
        "/login", data={"login": login, "password": "établi-2026", "csrf": token, "next": "/"}
    )
    return re.search(r'name="csrf" value="([^"]+)"', landing.text).group(1)
