"""SACoche's files: the « saisie déportée » of marks, and the list of students.

SACoche (Suivi d'Acquisitions de Compétences, Sésamath, https://sacoche.sesamath.net, AGPL 3)
is the competency-tracking tool most French schools use. Every detail of its formats below was
read in its PHP source, as mirrored on GitHub in ``adriensaladin/saccoche_test`` at commit
``e8caf87b00b9fe9de20ca0e9deccd4b83a315f04`` (SACoche of September 2017):

- ``pages/evaluation_gestion.ajax.php``, action ``generer_tableau_scores_*_csv`` — the file
  SACoche writes for a « saisie déportée » (a devoir's marks entered offline): line 1 is ``;``
  then each student's SACoche id followed by ``;``; then one line per item: its SACoche id,
  ``;``, one cell per student (the keyboard code of the mark, empty when none), then the
  item's text ``REF [S]|[–] [coef] name``; then a line with each student's ``"Prénom NOM"``;
  an empty line; the group's name, the devoir's date (``JJ/MM/AAAA``) and its description, one
  a line; an empty line; ``CODAGES AUTORISÉS : 1,2,3,4,A,D,E,F,N,R,P``. Lines end with CRLF;
  the text is converted to Windows-1252 (``_inc/class.To.php``, ``To::csv``).
- the same file, action ``importer_saisie_csv`` — how SACoche reads it back: the student ids
  of line 1 (``Clean::entier``, 0 ignored), every later line whose first cell is an item id,
  each non-empty cell whose code is known (``1``–``9`` per the school's keyboard keys,
  ``A D E F N R P`` in either case); everything else is ignored. ``FileSystem::
  extraire_lignes_csv`` (``_inc/class.FileSystem.php``) takes UTF-8 or Windows-1252, drops a
  byte order mark and picks the separator among ``; , :`` and tab by counting them.
- the codes: ``_sql/structure/sacoche_parametre_note.sql`` (the default notes: key ``1`` =
  RR 0 « Très insuffisant », ``2`` = R 33, ``3`` = V 67, ``4`` = VV 100; notes 5 and 6 off),
  ``_inc/class.Html.php`` (``AB`` Absent, ``DI`` Dispensé, ``NE`` Non évalué, ``NF`` Non fait,
  ``NN`` Non noté, ``NR`` Non rendu), ``pages/evaluation_gestion.php`` (their keys ``A D E F N
  R``, and ``P`` for ``PA``), ``pages/evaluation_demande_professeur.ajax.php`` (``PA`` marks an
  item a student asked to be assessed on: « demande d'évaluation »). Older SACoche files end
  with ``CODAGES AUTORISÉS : 1 2 3 4 A D N P``: the same codes, read the same way.
- ``pages/administrateur_fichier_user.ajax.step20.php``, « Extraction tableur_eleves » — the
  students' file a SACoche administrator imports: its first line is skipped (a header), then
  ``reference;genre;nom;prenom;date de naissance;courriel;classe;groupes`` (groups separated by
  ``|``; a reference of 11 characters at most, a class of 8). SACoche ignores the header's
  words, so the ones ep-skills writes are its own (``REFERENCE;GENRE;…``).
- ``pages/export_fichier.ajax.php``, « Export CSV des données des élèves d'un regroupement » —
  the students' list SACoche exports: ``SACOCHE_ID;LOGIN;GENRE;NOM;PRENOM;DATE_NAISSANCE;
  GROUPE``, an empty line, then one student a line.

ep-skills's levels are the scale of the diploma (:mod:`ep_skills.referential.defaults`: RR R V
VV and the non-scoring ABS NE DISP REQ). SACoche's keys ``1``…``n`` are the scale's scoring
levels from the lowest value up (SACoche's own default); ``A`` → ABS, ``D`` → DISP, ``E`` → NE,
``P`` → REQ. « Non fait », « non noté », « non rendu » and keys past the scale's levels have no
ep-skills level: they are reported, never dropped in silence.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import field, frozen

from ep_skills.errors import EvidenceError, InvalidValueError, NotFoundError
from ep_skills.i18n import N_, _, format_day, ngettext
from ep_skills.journal.model import Role, TaskRecord, Trainee, effective_assessments, name_key
from ep_skills.referential.settings import Scale

if TYPE_CHECKING:
    from ep_skills.api import ImportResult, Journal

__all__ = [
    "SACOCHE_SPECIAL",
    "Correspondences",
    "SacocheStudent",
    "SaisieExport",
    "SaisieFile",
    "SaisieImport",
    "SaisieItem",
    "SaisieStudent",
    "Unheld",
    "UsersImport",
    "export_saisie",
    "format_saisie",
    "format_users",
    "import_saisie",
    "import_users",
    "parse_saisie",
    "parse_users",
    "read_correspondences",
    "read_saisie",
    "read_users",
    "sacoche_cuts",
    "sacoche_keys",
    "students_of",
    "write_saisie",
    "write_users",
]

SACOCHE_SPECIAL: Mapping[str, tuple[str, str, str | None]] = {
    "A": ("AB", N_("absent"), "ABS"),
    "D": ("DI", N_("exempted"), "DISP"),
    "E": ("NE", N_("not assessed"), "NE"),
    "F": ("NF", N_("not done"), None),
    "N": ("NN", N_("not marked"), None),
    "R": ("NR", N_("not handed in"), None),
    "P": ("PA", N_("assessment requested"), "REQ"),
}
"""SACoche's keyboard letter → (its code, what it means, the ep-skills level or None)."""

_MAX_SCORING = 9  # SACoche's keys 0–9 (« scores autorisés »), of which the school uses 2 to 6
_SEPARATORS = (";", ",", ":", "\t")
_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_CODES_LINE = "CODAGES AUTORISÉS"
_MAX_BYTES = 20_000_000  # a class of 40 × a referential of 500 items is under a megabyte
_ID = re.compile(r"[0-9]{1,18}")  # Clean::entier's ids: digits only, and a bounded int
# Blanks trimmed around a file's text and a line: never a separator. SACoche's own
# extraire_lignes_csv trims with PHP's trim(), which takes a tab too — a tab-separated « saisie
# déportée » would lose its first (empty) cell and every column would shift.
_BLANKS = " \r\n\x0b\x0c\x00"
_LINE_END = re.compile(r"\r\n|\r|\n")
_QUOTED = re.compile(r'"((?:[^"]|"")*)"')
_NO_SOCLE = "[–]"  # an item tied to no socle component (SACoche's ' [–]', an en dash)


# -- reading CSV text as SACoche does ---------------------------------------------------------


def _decode(raw: bytes, file: str) -> str:
    """UTF-8 (a byte order mark dropped), else Windows-1252: what SACoche accepts."""
    if len(raw) > _MAX_BYTES:
        raise InvalidValueError(
            _("{file}: the file is too large for a SACoche file").format(file=file),
            field="file",
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        raise InvalidValueError(
            _("{file}: not a text file in UTF-8 or Windows-1252: save it as « CSV UTF-8 »").format(
                file=file
            ),
            field="file",
        ) from None


def _rows(text: str, file: str, *, leading: bool = False) -> list[tuple[int, list[str]]]:
    """``(line, cells)`` of each row.

    The separator is one of SACoche's (``; , :`` and tab). SACoche takes the most frequent in
    the whole text, which a small devoir gets wrong (its codes line alone holds ten commas):
    here a « saisie déportée » (``leading``) is read with the character its first line starts
    with, as SACoche writes it, and another file with the most frequent in its first line
    (``;`` first on a tie).
    """
    skipped = _skipped_lines(text)
    text = text.strip(_BLANKS)
    separator = _separator(text.split("\n", 1)[0], leading=leading)
    reader = csv.reader(io.StringIO(text), delimiter=separator, strict=True)
    rows = []
    try:
        start = 1 + skipped
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1 + skipped
    except csv.Error as exc:
        raise InvalidValueError(
            _("{file}, line {line}: cannot read the CSV ({reason})").format(
                file=file, line=reader.line_num + skipped, reason=exc
            ),
            field="file",
        ) from None
    return rows


def _skipped_lines(text: str) -> int:
    """How many blank lines :data:`_BLANKS` takes from the start (for the lines' numbers)."""
    return text[: len(text) - len(text.lstrip(_BLANKS))].count("\n")


def _separator(first: str, *, leading: bool) -> str:
    if leading and first[:1] in _SEPARATORS:
        return first[0]
    return max(_SEPARATORS, key=first.count)


def _positive(cell: str) -> int | None:
    """A SACoche id: a whole number above 0 (``Clean::entier``), else None.

    ASCII digits only (``str.isdigit`` takes ``²``) and at most 18 of them (a MySQL
    ``MEDIUMINT``/``INT`` id, far from Python's limit on converting long digit strings)."""
    cell = cell.strip()
    if _ID.fullmatch(cell) is None:
        return None
    return int(cell) or None


# -- the saisie déportée file -----------------------------------------------------------------


@frozen
class SaisieStudent:
    """A column of the file: a student's SACoche id and, when the file has it, their name."""

    id: int
    name: str = ""


@frozen
class SaisieItem:
    """A line of the file: a SACoche item (« item ») and its students' codes."""

    id: int
    text: str
    """``REF [S] [coef] name`` as SACoche writes it."""
    codes: tuple[str | None, ...]
    """One per student, in the order of :attr:`SaisieFile.students`; None when empty."""
    line: int = field(default=0, eq=False)
    """Where the file has it (for messages; not part of what the item is)."""

    @property
    def reference(self) -> str:
        """The item's reference: the text before its first `` [``."""
        return self.text.split(" [", 1)[0].strip() if " [" in self.text else self.text.strip()


@frozen
class SaisieFile:
    """A « saisie déportée »: one devoir's marks, items × students."""

    students: tuple[SaisieStudent, ...]
    items: tuple[SaisieItem, ...]
    group: str = ""
    day: date | None = None
    description: str = ""
    scoring_keys: int | None = 4
    """How many mark keys (``1``…) the codes line lists: the school's active notes (SACoche
    lists ``$_SESSION['NOTE_ACTIF']``'s keys, evaluation_gestion.ajax.php); None when the
    file has no codes line."""


def _code(cell: str, file: str, line: int, column: int) -> str | None:
    cell = cell.strip()
    if not cell:
        return None
    upper = cell.upper()
    if (len(upper) == 1 and upper.isdigit()) or upper in SACOCHE_SPECIAL:
        return upper
    raise InvalidValueError(
        _("{file}, line {line}, column {column}: {code!r} is not a SACoche code ({known})").format(
            file=file, line=line, column=column, code=cell, known="0–9 " + " ".join(SACOCHE_SPECIAL)
        ),
        field="level",
        value=cell,
    )


def parse_saisie(raw: bytes, file: str = "<saisie>") -> SaisieFile:
    """Read a « saisie déportée » file as SACoche does (see the module's docstring).

    The first line, the items' lines and the students' names are CSV; the lines after them
    (the group, the date, the description, the codes) are text SACoche writes bare
    (``$groupe_nom."\\r\\n".$date_fr."\\r\\n".$description``, evaluation_gestion.ajax.php), so
    they are read as text: a description may start with a ``"``.

    :raises InvalidValueError: not such a file, or a cell whose code SACoche does not know.
    """
    text = _decode(raw, file)
    skipped = _skipped_lines(text)
    text = text.strip(_BLANKS)
    if not text:
        raise InvalidValueError(_("{file}: the file is empty").format(file=file), field="file")
    lines = _LINE_END.split(text)
    separator = _separator(lines[0], leading=True)
    first_line = 1 + skipped
    first = _csv_line(lines[0], separator, file, first_line)
    columns = [(j, _positive(cell)) for j, cell in enumerate(first) if j > 0]
    ids = [(j, sid) for j, sid in columns if sid is not None]
    if not ids:
        raise InvalidValueError(
            _("{file}, line {line}: no student id: not a SACoche « saisie déportée » file").format(
                file=file, line=first_line
            ),
            field="file",
        )
    seen: set[int] = set()
    for _j, sid in ids:
        if sid in seen:
            raise InvalidValueError(
                _("{file}, line {line}: student id {id} is given twice").format(
                    file=file, line=first_line, id=sid
                ),
                field="file",
            )
        seen.add(sid)
    text_column = max(j for j, _sid in ids) + 1
    items: list[SaisieItem] = []
    k = 1
    while k < len(lines):
        line = k + 1 + skipped
        cells = _item_cells(lines[k], separator, text_column)
        item_id = _positive(cells[0]) if cells else None
        if item_id is None:
            break
        if any(item.id == item_id for item in items):
            raise InvalidValueError(
                _("{file}, line {line}: item {id} is given twice").format(
                    file=file, line=line, id=item_id
                ),
                field="file",
            )
        codes = tuple(
            _code(cells[j], file, line, j + 1) if j < len(cells) else None for j, _sid in ids
        )
        text_cell = cells[text_column].strip() if text_column < len(cells) else ""
        items.append(SaisieItem(item_id, text_cell, codes, line))
        k += 1
    names = {sid: "" for _j, sid in ids}
    if k < len(lines):
        cells = _names_cells(lines[k], separator)
        if len(cells) > 1 and not cells[0].strip():
            names = {sid: (cells[j].strip() if j < len(cells) else "") for j, sid in ids}
            k += 1
    rest = [(i + 1 + skipped, _bare(lines[i], separator)) for i in range(k, len(lines))]
    group, day, description, keys = _trailer(rest, file)
    return SaisieFile(
        students=tuple(SaisieStudent(sid, names[sid]) for _j, sid in ids),
        items=tuple(items),
        group=group,
        day=day,
        description=description,
        scoring_keys=keys,
    )


def _csv_line(text: str, separator: str, file: str, line: int) -> list[str]:
    """The cells of one line, read strictly."""
    try:
        return next(csv.reader([text], delimiter=separator, strict=True), [])
    except csv.Error as exc:
        raise InvalidValueError(
            _("{file}, line {line}: cannot read the CSV ({reason})").format(
                file=file, line=line, reason=exc
            ),
            field="file",
        ) from None


def _item_cells(text: str, separator: str, text_column: int) -> list[str]:
    """An item's line: its id, one code a student, then its text. SACoche writes the text
    bare (``$csv_colonne_texte``), so one that a CSV reader refuses (a ``"`` opening it) is
    taken whole after the codes."""
    try:
        return next(csv.reader([text], delimiter=separator, strict=True), [])
    except csv.Error:
        return text.split(separator, text_column)


def _names_cells(text: str, separator: str) -> list[str]:
    """The students' names line (``"Prénom NOM"`` each), read leniently."""
    try:
        return next(csv.reader([text], delimiter=separator), [])
    except csv.Error:
        return []


def _bare(text: str, separator: str) -> str:
    """A line SACoche writes as bare text (the group, the date, the description, the codes):
    the separators a spreadsheet adds after it dropped, and a cell quoted whole (as ep-skills
    writes one holding a separator or a ``"``) unquoted."""
    text = text.strip(_BLANKS + "\t").rstrip(separator).strip(_BLANKS + "\t")
    quoted = _QUOTED.fullmatch(text)
    return quoted[1].replace('""', '"') if quoted else text


def _trailer(rest: list[tuple[int, str]], file: str) -> tuple[str, date | None, str, int | None]:
    """The group, the date, the description and the number of mark keys after the names (the
    number None when the file has no codes line)."""
    keys: int | None = None
    for _line, text in rest:
        if text.upper().startswith(_CODES_LINE):
            listed = re.findall(r"\b\d\b", text.split(":", 1)[-1])
            keys = len(listed) or keys
    for i, (line, text) in enumerate(rest):
        found = _DAY.fullmatch(text)
        if found is None:
            continue
        try:
            day = date(int(found[3]), int(found[2]), int(found[1]))
        except ValueError:
            raise InvalidValueError(
                _("{file}, line {line}: {text!r} is not a date").format(
                    file=file, line=line, text=text
                ),
                field="date",
            ) from None
        group = rest[i - 1][1] if i >= 1 else ""
        after = rest[i + 1][1] if i + 1 < len(rest) else ""
        description = "" if after.upper().startswith(_CODES_LINE) else after
        return group, day, description, keys
    return "", None, "", keys


def read_saisie(path: str | Path) -> SaisieFile:
    """:func:`parse_saisie` of a file."""
    target = Path(path)
    return parse_saisie(_read(target), str(target))


def _read(path: Path) -> bytes:
    from ep_skills.importing import read_bytes

    return read_bytes(path, _MAX_BYTES)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _cell(text: str) -> str:
    """A text cell on one line, quoted only when it must be (SACoche writes item texts
    bare)."""
    text = " ".join(_LINE_END.split(text))
    return _quoted(text) if any(c in text for c in ';",:\t') else text


def _cp1252(text: str) -> bytes:
    # SACoche's To::csv: Windows-1252, a character it lacks becoming a no-break space.
    return "".join(c if c.encode("cp1252", errors="ignore") else "\xa0" for c in text).encode(
        "cp1252"
    )


def format_saisie(saisie: SaisieFile) -> bytes:
    """The file SACoche writes for this devoir, byte for byte in its layout (CRLF,
    Windows-1252); :func:`parse_saisie` reads it back equal."""
    out = [";" + "".join(f"{s.id};" for s in saisie.students)]
    for item in saisie.items:
        cells = "".join(f"{code or ''};" for code in item.codes)
        out.append(f"{item.id};{cells}{_cell(item.text)}")
    out.append(
        ";" + "".join(f"{_quoted(' '.join(_LINE_END.split(s.name)))};" for s in saisie.students)
    )
    out.append("")
    day = saisie.day.strftime("%d/%m/%Y") if saisie.day else ""
    out += [_cell(saisie.group), day, _cell(saisie.description)]
    if saisie.scoring_keys is not None:
        keys = [str(k) for k in range(1, saisie.scoring_keys + 1)] + list(SACOCHE_SPECIAL)
        out += ["", f"{_CODES_LINE} : {','.join(keys)}"]
    return _cp1252("\r\n".join(out) + "\r\n")


def write_saisie(saisie: SaisieFile, path: str | Path, *, force: bool = False) -> Path:
    """Write ``saisie`` to ``path`` (never over an existing file unless ``force``)."""
    from ep_skills.outputs import replacing

    with replacing(path, force=force) as scratch:
        scratch.write_bytes(format_saisie(saisie))
    return Path(path)


# -- correspondences: SACoche's ids ↔ ep-skills -----------------------------------------------


@frozen
class Correspondences:
    """Which SACoche item is which competency, which SACoche student which trainee.

    Read from a small CSV (:func:`read_correspondences`); what it does not name is matched
    by default: an item by its reference (the competency code, possibly after the subject's
    reference and a dot: ``PRO.C1.2``), a student by the SACoche id kept with the trainee
    (metadata ``sacoche_id``), their external id, then their name.
    """

    items: Mapping[int, str] = {}
    students: Mapping[int, str] = {}
    file: str = field(default="", eq=False)
    """The correspondence file read (for messages)."""
    item_lines: Mapping[int, int] = field(factory=dict, eq=False)
    """The line of the file that gives each item (for messages)."""


_ITEM_WORDS = ("item",)
_STUDENT_WORDS = ("eleve", "élève", "student")


def read_correspondences(path: str | Path) -> Correspondences:
    """Read a correspondence file: a header ``type;sacoche;ep-skills``, then lines
    ``item;<SACoche item id>;<competency code>`` or ``eleve;<SACoche id>;<trainee name or
    number>``.

    :raises InvalidValueError: another header, an unknown type, an id that is not a number,
        or an id given twice.
    """
    target = Path(path)
    file = str(target)
    rows = [(line, cells) for line, cells in _rows(_decode(_read(target), file), file) if cells]
    header = [c.strip().lower() for c in rows[0][1]] if rows else []
    if header[:3] != ["type", "sacoche", "ep-skills"]:
        raise InvalidValueError(
            _("{file}, line 1: the header must be: type;sacoche;ep-skills").format(file=file),
            field="file",
        )
    items: dict[int, str] = {}
    students: dict[int, str] = {}
    item_lines: dict[int, int] = {}
    for line, cells in rows[1:]:
        if not "".join(cells).strip():
            continue
        kind = cells[0].strip().lower()
        sid = _positive(cells[1]) if len(cells) > 1 else None
        value = cells[2].strip() if len(cells) > 2 else ""
        table = items if kind in _ITEM_WORDS else students if kind in _STUDENT_WORDS else None
        if table is None:
            raise InvalidValueError(
                _("{file}, line {line}: unknown type {kind!r} (item or eleve)").format(
                    file=file, line=line, kind=cells[0]
                ),
                field="file",
            )
        if sid is None or not value:
            raise InvalidValueError(
                _("{file}, line {line}: give a SACoche id (a number) and what it is").format(
                    file=file, line=line
                ),
                field="file",
            )
        if sid in table:
            raise InvalidValueError(
                _("{file}, line {line}: {kind} {id} is given twice").format(
                    file=file, line=line, kind=kind, id=sid
                ),
                field="file",
            )
        table[sid] = value
        if table is items:
            item_lines[sid] = line
    return Correspondences(items=items, students=students, file=file, item_lines=item_lines)


# -- marks: SACoche keys ↔ the diploma's levels -----------------------------------------------


def sacoche_keys(scale: Scale) -> dict[str, str]:
    """SACoche's key of each level of ``scale`` that has one: ``1``… for the scoring levels
    from the lowest value up, the letters for ABS, DISP, NE and REQ."""
    scoring = sorted((lv for lv in scale.levels if lv.scoring), key=lambda lv: lv.value or 0)
    keys = {lv.code: str(i) for i, lv in enumerate(scoring[:_MAX_SCORING], start=1)}
    for letter, (_code, _meaning, level) in SACOCHE_SPECIAL.items():
        if level is not None and scale.level(level) is not None:
            keys[level] = letter
    return keys


@frozen
class Unheld:
    """A mark one tool has and the other cannot hold: reported, never dropped in silence."""

    trainee: str
    competency: str
    code: str
    meaning: str
    line: int = 0
    column: int = 0

    def text(self) -> str:
        """One line for people."""
        where = (
            _("line {line}, column {column}: ").format(line=self.line, column=self.column)
            if self.line
            else ""
        )
        return where + _("{name}, {code}: {mark} ({meaning}) not carried over").format(
            name=self.trainee, code=self.competency, mark=self.code, meaning=self.meaning
        )


# -- import into the journal ------------------------------------------------------------------


@frozen
class SaisieImport:
    """What an import of a « saisie déportée » did."""

    result: ImportResult
    day: date
    unheld: tuple[Unheld, ...]
    """Marks ep-skills has no level for (« non fait », « non noté », « non rendu », a key past
    the scale's levels): not written, and listed here."""
    already: int = 0
    """Marks the journal already holds for that trainee, competency, day and level (a file
    exported from ep-skills and sent back): not written again."""


def _trainee_finder(
    journal: Journal, correspondences: Correspondences, file: str
) -> Callable[[SaisieStudent, int], Trainee]:
    everyone = journal.trainees(archived=True)
    by_sacoche = {t.metadata.get("sacoche_id"): t for t in everyone if t.metadata.get("sacoche_id")}
    by_external = {t.external_id: t for t in everyone if t.external_id}

    def find(student: SaisieStudent, column: int) -> Trainee:
        key = str(student.id)
        try:
            if student.id in correspondences.students:
                return journal.trainee(correspondences.students[student.id])
            by_id = by_sacoche.get(key) or by_external.get(key)
            if by_id is not None:
                if student.name and name_key(student.name) != name_key(by_id.name):
                    # An id that names someone else: a file from another school's SACoche,
                    # or columns pasted out of place. Never file one trainee's marks on another.
                    raise InvalidValueError(
                        _(
                            "{file}, column {column}: SACoche student {id} is {name} in the "
                            "file but {other} in the journal: give them in the "
                            "correspondence file"
                        ).format(
                            file=file,
                            column=column,
                            id=student.id,
                            name=student.name,
                            other=by_id.name,
                        ),
                        field="trainee",
                        value=student.id,
                    )
                return by_id
            if student.name:
                return journal.trainee(student.name)
        except InvalidValueError:
            raise
        except EvidenceError as exc:
            raise InvalidValueError(
                _("{file}, column {column} (SACoche student {id}): {reason}").format(
                    file=file, column=column, id=student.id, reason=exc
                ),
                field="trainee",
                value=student.id,
            ) from None
        raise InvalidValueError(
            _(
                "{file}, column {column}: no trainee for SACoche student {id}: give them in "
                "the correspondence file"
            ).format(file=file, column=column, id=student.id),
            field="trainee",
            value=student.id,
        )

    return find


def _item_code(
    item: SaisieItem, leaves: Iterable[str], correspondences: Correspondences
) -> str | None:
    """The competency an item stands for: the correspondence file's, else its reference
    (or the part after a subject's reference: ``PRO.C1.2`` → ``C1.2``) when that is a leaf."""
    if item.id in correspondences.items:
        return correspondences.items[item.id]
    known = set(leaves)
    reference = item.reference
    candidates = [reference] + [
        reference.split(".", i)[-1] for i in range(1, reference.count(".") + 1)
    ]
    return next((c for c in candidates if c in known), None)


def import_saisie(
    journal: Journal,
    path: str | Path,
    *,
    correspondences: Correspondences | None = None,
    day: date | None = None,
    assessor: str | None = None,
    role: Role | str = Role.MAITRE,
    note: str | None = None,
    again: bool = False,
    dry_run: bool = False,
) -> SaisieImport:
    """Import a « saisie déportée » filled in SACoche or offline: one task record per
    trainee, on the devoir's day, described by the devoir's description, holding a level per
    item they were marked on. All or nothing, and idempotent: importing the file again writes
    nothing (:meth:`Journal.import_records`).

    :param day: the day of the work, when the file has none (a file's own date is not
        overridden: another ``day`` is refused).
    :raises InvalidValueError: a bad file, an unknown student or item, a level the diploma
        does not have, a file whose mark keys are not the scale's levels, two items of one
        competency marked differently for a student, a ``day`` that is not the file's;
        nothing is written.
    """
    target = Path(path)
    file = str(target)
    raw = _read(target)
    saisie = parse_saisie(raw, file)
    correspondences = correspondences or Correspondences()
    if day is not None and saisie.day is not None and day != saisie.day:
        raise InvalidValueError(
            _(
                "{file}: the file's date is {file_day}, not {day}: a date (--date) is only "
                "for a file that gives none"
            ).format(file=file, file_day=format_day(saisie.day), day=format_day(day)),
            field="date",
            value=day,
        )
    when = day or saisie.day
    if when is None:
        raise InvalidValueError(
            _("{file}: the file gives no date: give one (--date)").format(file=file),
            field="date",
        )
    find = _trainee_finder(journal, correspondences, file)
    people: dict[int, Trainee] = {}
    for j, student in enumerate(saisie.students):
        if any(item.codes[j] for item in saisie.items):
            people[j] = find(student, j + 2)
    if not people:
        raise InvalidValueError(_("{file}: no mark to import").format(file=file), field="file")
    diplomas = sorted({p.diploma for p in people.values()})
    if len(diplomas) > 1:
        raise InvalidValueError(
            _(
                "{file}: the students prepare different diplomas ({ids}): one file per diploma"
            ).format(file=file, ids=", ".join(diplomas)),
            field="trainee",
        )
    info = journal.diploma(diplomas[0])
    levels_of = {key: code for code, key in sacoche_keys(info.scale).items()}
    scoring = sum(1 for key in levels_of if key.isdigit())
    if saisie.scoring_keys is not None and saisie.scoring_keys != scoring:
        # Keys 1…n are the school's active notes from the lowest up (NOTE_ACTIF in the codes
        # line, evaluation_gestion.ajax.php); on another number of levels a key is no level.
        raise InvalidValueError(
            ngettext(
                "{file}: the file's codes line (CODAGES AUTORISÉS) gives {keys} mark key, "
                "the scale of {diploma} has {levels} scoring levels: ep-skills cannot tell "
                "which level a key is",
                "{file}: the file's codes line (CODAGES AUTORISÉS) gives {keys} mark keys, "
                "the scale of {diploma} has {levels} scoring levels: ep-skills cannot tell "
                "which level a key is",
                saisie.scoring_keys,
            ).format(
                file=file,
                keys=saisie.scoring_keys,
                diploma=info.referential.id,
                levels=scoring,
            ),
            field="level",
            value=saisie.scoring_keys,
        )
    chosen: dict[int, dict[str, str]] = {j: {} for j in people}
    unheld: list[Unheld] = []
    # A file exported from ep-skills and sent back (changed or not in SACoche) holds marks
    # the journal has: those are not written twice, whatever the record they came from.
    there = {
        j: set() if again else _marks_of(journal, person, when) for j, person in people.items()
    }
    already = 0
    given: dict[tuple[int, str], tuple[SaisieItem, str]] = {}
    for item in saisie.items:
        if not any(item.codes[j] for j in people):
            continue
        code = _item_code(item, info.leaves, correspondences)
        if item.id in correspondences.items and code not in info.leaves:
            raise _unknown_mapped(correspondences, item.id, code or "", info.referential.id)
        if code is None or code not in info.leaves:
            raise InvalidValueError(
                _(
                    "{file}, line {line}: item {id} ({reference}) is no competency of {diploma}: "
                    "give it in the correspondence file"
                ).format(
                    file=file,
                    line=item.line,
                    id=item.id,
                    reference=item.reference or "—",
                    diploma=info.referential.id,
                ),
                field="competencies",
                value=item.id,
            )
        for j, person in people.items():
            mark = item.codes[j]
            if mark is None:
                continue
            earlier = given.get((j, code))
            if earlier is not None:
                if earlier[1] == mark:
                    continue  # the same mark twice: written once
                raise InvalidValueError(
                    _(
                        "{file}, lines {first_line} and {line}: items {first} and {id} are both "
                        "{code}, and {name} has a different mark on each ({first_mark} and "
                        "{mark}): keep one mark, or map one item to another competency"
                    ).format(
                        file=file,
                        first_line=earlier[0].line,
                        line=item.line,
                        first=earlier[0].id,
                        id=item.id,
                        code=code,
                        name=person.name,
                        first_mark=earlier[1],
                        mark=mark,
                    ),
                    field="competencies",
                    value=code,
                )
            given[(j, code)] = (item, mark)
            if mark in levels_of:
                if (code, levels_of[mark]) in there[j]:
                    already += 1
                else:
                    chosen[j][code] = levels_of[mark]
                continue
            meaning = SACOCHE_SPECIAL[mark][1] if mark in SACOCHE_SPECIAL else N_("a mark key")
            unheld.append(Unheld(person.name, code, mark, _(meaning), item.line, j + 2))
    description = saisie.description or _("SACoche remote entry")
    records: list[TaskRecord] = []
    columns: list[int] = []
    for j, levels in chosen.items():
        if not levels:
            continue
        try:
            records.append(
                journal.build_record(
                    [people[j].id],
                    description=description,
                    day=when,
                    levels=levels,
                    assessor=assessor,
                    role=role,
                    note=note,
                )
            )
        except EvidenceError as exc:
            raise InvalidValueError(
                _("{file}, column {column} ({name}): {reason}").format(
                    file=file, column=j + 2, name=people[j].name, reason=exc
                ),
                field=exc.field,
                value=exc.value,
            ) from None
        columns.append(j + 2)
    result = journal.import_records(
        records,
        file_name=target.name,
        file_sha256=hashlib.sha256(raw).hexdigest(),
        rows=columns,
        again=again,
        dry_run=dry_run,
    )
    return SaisieImport(result=result, day=when, unheld=tuple(unheld), already=already)


def _unknown_mapped(
    correspondences: Correspondences, item: int, code: str, diploma: str
) -> InvalidValueError:
    """The correspondence file maps an item to no competency of the diploma: say where."""
    line = correspondences.item_lines.get(item)
    if correspondences.file and line:
        message = _(
            "{file}, line {line}: {code!r} is no competency of {diploma} (SACoche item {id})"
        ).format(file=correspondences.file, line=line, code=code, diploma=diploma, id=item)
    else:
        message = _(
            "the correspondences map SACoche item {id} to {code!r}, no competency of {diploma}"
        ).format(id=item, code=code, diploma=diploma)
    return InvalidValueError(message, field="competencies", value=code)


def _marks_of(journal: Journal, person: Trainee, day: date) -> set[tuple[str, str]]:
    """(competency, level) of the trainee's assessments of ``day`` that still count."""
    return {
        (code, row.level)
        for code, rows in journal.evidence_by_competency(person).items()
        for row in effective_assessments(rows)
        if row.day == day and row.role != Role.AUTO
    }


# -- export from the journal ------------------------------------------------------------------


@frozen
class SaisieExport:
    """A « saisie déportée » made from the journal, and what it could not carry."""

    saisie: SaisieFile
    unheld: tuple[Unheld, ...]
    """Levels SACoche has no code for (a plugin's own non-scoring levels): left empty."""
    without_sacoche_id: tuple[str, ...]
    """Trainees SACoche does not know yet (no ``sacoche_id``, no numeric external id, not in
    the correspondence file): their column carries their ep-skills number, which SACoche
    cannot match — import the students' list into SACoche first."""
    items_by_rank: tuple[str, ...] = ()
    """Competencies the correspondence file gives no SACoche item for: their row carries its
    rank (1, 2…), which SACoche files under no item of the devoir — give them in the
    correspondence file."""


def _student_id(person: Trainee, reverse: Mapping[int, int]) -> tuple[int, bool]:
    if person.id in reverse:
        return reverse[person.id], True
    for value in (person.metadata.get("sacoche_id"), person.external_id):
        sid = _positive(value) if value else None
        if sid is not None:
            return sid, True
    return person.id, False


def export_saisie(
    journal: Journal,
    trainees: Sequence[str | int | Trainee],
    *,
    day: date | None = None,
    competencies: Sequence[str] | None = None,
    blank: bool = False,
    correspondences: Correspondences | None = None,
    group: str = "",
    description: str = "",
) -> SaisieExport:
    """A group's evidence of one day as a « saisie déportée » (``blank``: the same file with
    no mark, to fill in offline and import back).

    Items are the leaf competencies given, else those assessed that day (every leaf of the
    diploma for a blank file); a cell holds the level of the trainee's latest assessment of
    that day that still counts (self-assessments left out). An item's SACoche id comes from
    the correspondence file, else it is its rank (1, 2…) and its reference is its code.

    :raises InvalidValueError: no trainee, trainees of different diplomas, an unknown
        competency.
    """
    correspondences = correspondences or Correspondences()
    # A trainee named twice (by name and through their cohort) is one column, at its first
    # place.
    people = list({p.id: p for p in (journal.trainee(t) for t in trainees)}.values())
    if not people:
        raise InvalidValueError(_("name at least one trainee"), field="trainee")
    diplomas = sorted({p.diploma for p in people})
    if len(diplomas) > 1:
        raise InvalidValueError(
            _("the trainees prepare different diplomas ({ids}): one file per diploma").format(
                ids=", ".join(diplomas)
            ),
            field="trainee",
        )
    info = journal.diploma(diplomas[0])
    when = day or journal.today
    order = [c.code for c in info.referential.all_competencies() if c.code in info.leaves]
    levels: dict[tuple[int, str], str] = {}
    if not blank:
        for person in people:
            for code, rows in journal.evidence_by_competency(person).items():
                that_day = [
                    r for r in effective_assessments(rows) if r.day == when and r.role != Role.AUTO
                ]
                if that_day:
                    levels[(person.id, code)] = max(that_day, key=lambda r: r.id).level
    if competencies is not None:
        unknown = [c for c in competencies if c not in info.leaves]
        if unknown:
            raise InvalidValueError(
                _("unknown competency {code!r} for {diploma}").format(
                    code=unknown[0], diploma=info.referential.id
                ),
                field="competencies",
                value=unknown[0],
            )
        codes = list(dict.fromkeys(competencies))
    elif blank:
        codes = order
    else:
        assessed = {code for _pid, code in levels}
        codes = [c for c in order if c in assessed]
    keys = sacoche_keys(info.scale)
    reverse_items = {code: sid for sid, code in correspondences.items.items()}
    reverse_students: dict[int, int] = {}
    for sid, who in correspondences.students.items():
        reverse_students[journal.trainee(who).id] = sid
    students = []
    unknown_to_sacoche = []
    for person in people:
        sid, known = _student_id(person, reverse_students)
        students.append(SaisieStudent(sid, _shown_name(person)))
        if not known:
            unknown_to_sacoche.append(person.name)
    unheld: list[Unheld] = []
    items = []
    for rank, code in enumerate(codes, start=1):
        marks: list[str | None] = []
        for person in people:
            level = levels.get((person.id, code))
            if level is not None and level not in keys:
                label = info.scale.level(level)
                unheld.append(Unheld(person.name, code, level, label.label if label else level))
            marks.append(keys.get(level) if level is not None else None)
        title = info.leaves[code].title
        items.append(
            SaisieItem(
                reverse_items.get(code, rank), f"{code} {_NO_SOCLE} [1] {title}", tuple(marks)
            )
        )
    saisie = SaisieFile(
        students=tuple(students),
        items=tuple(items),
        group=group,
        day=when,
        description=description,
        scoring_keys=sum(1 for k in keys.values() if k.isdigit()),
    )
    by_rank = tuple(code for code in codes if code not in reverse_items)
    return SaisieExport(saisie, tuple(unheld), tuple(unknown_to_sacoche), by_rank)


def _shown_name(person: Trainee) -> str:
    """« Prénom NOM » as SACoche writes a student (``Clean::nom`` upper-cases the name)."""
    first, last = _split_name(person)
    return f"{first} {last.upper()}".strip()


def _split_name(person: Trainee) -> tuple[str, str]:
    """(prénom, nom): the metadata's when the trainee has them, else the first word and the
    rest (ep-skills keeps one name, « Léa Martin »; a compound first name without a hyphen
    needs the metadata ``prenom`` and ``nom``)."""
    first = person.metadata.get("prenom")
    last = person.metadata.get("nom")
    if first and last:
        return first, last
    head, _sep, tail = person.name.partition(" ")
    return (head, tail) if tail else ("", head)


# -- the students' list -----------------------------------------------------------------------

USERS_HEADER = (
    "REFERENCE",
    "GENRE",
    "NOM",
    "PRENOM",
    "DATE_NAISSANCE",
    "COURRIEL",
    "CLASSE",
    "GROUPES",
)
"""The columns of SACoche's « tableur_eleves » import, in its order (it skips line 1)."""

LISTING_HEADER = ("SACOCHE_ID", "LOGIN", "GENRE", "NOM", "PRENOM", "DATE_NAISSANCE", "GROUPE")
"""The header of the students' list SACoche exports (``listing_eleves``). SACoche's other
exports of people (``infos_eleves``, ``infos_parents``, ``infos_professeurs``: ``SACOCHE_ID;
ID_ENT;ID_GEPI;SCONET_ID;SCONET_NUM;REFERENCE;LOGIN;…``, export_fichier.ajax.php) start with
the same word but not the same columns: they are refused, never read by position."""

# administrateur_fichier_user.ajax.step20.php: mb_substr(Clean::ref($reference),0,11) and
# mb_substr(Clean::ref($classe),0,8), Clean::ref upper-casing (_inc/class.Clean.php).
_REFERENCE_MAX = 11
_CLASS_MAX = 8


@frozen
class SacocheStudent:
    """A student as SACoche's files give one."""

    nom: str
    prenom: str
    reference: str = ""
    """The school's reference (« référence dans l'établissement »): an external id."""
    sacoche_id: str = ""
    login: str = ""
    genre: str = ""
    birth_date: str = ""
    email: str = ""
    classe: str = ""
    groups: tuple[str, ...] = ()
    line: int = 0

    @property
    def name(self) -> str:
        """« Prénom Nom », as ep-skills names a trainee."""
        return f"{self.prenom} {self.nom}".strip()


def parse_users(raw: bytes, file: str = "<users>") -> list[SacocheStudent]:
    """Read a students' list: SACoche's export (header ``SACOCHE_ID;LOGIN;…``) or its import
    layout (``reference;genre;nom;prenom;naissance;courriel;classe;groupes`` after a header
    line), as SACoche itself reads it: rows without a name and a first name are skipped.

    :raises InvalidValueError: not such a file — another header (SACoche's other exports of
        people included: their columns are not these), a student's line too short, a
        ``SACOCHE_ID`` that is no id.
    """
    rows = _rows(_decode(raw, file), file)
    if not rows:
        raise InvalidValueError(_("{file}: the file is empty").format(file=file), field="file")
    header = [c.strip().upper() for c in rows[0][1]]
    named = list(header)
    while named and not named[-1]:
        named.pop()
    listing = tuple(named) == LISTING_HEADER
    # The import layout's header words are free (SACoche skips line 1), its columns are not.
    layout = len(header) >= len(USERS_HEADER) >= len(named) >= len(USERS_HEADER) - 1
    if not listing and (not layout or named[:1] == ["SACOCHE_ID"]):
        raise InvalidValueError(
            _(
                "{file}, line {line}: not a SACoche students' file: its header must be "
                "{listing} (SACoche's list of a group's students) or the 8 columns {layout} "
                "(SACoche's students' import)"
            ).format(
                file=file,
                line=rows[0][0],
                listing=";".join(LISTING_HEADER),
                layout=";".join(USERS_HEADER),
            ),
            field="file",
        )
    found = []
    for line, given in rows[1:]:
        stripped = [c.strip() for c in given]
        cells = stripped + [""] * 8
        if listing:
            sid, login, genre, nom, prenom, birth, groupe = cells[:7]
            number = _positive(sid)
            if number is None and any(stripped):
                raise InvalidValueError(
                    _(
                        "{file}, line {line}: {id!r} is not a SACoche id (a whole number "
                        "above 0, at most 18 digits)"
                    ).format(file=file, line=line, id=sid),
                    field="sacoche_id",
                    value=sid,
                )
            student = SacocheStudent(
                nom, prenom, "", str(number or ""), login, genre, birth, "", groupe, (), line
            )
        else:
            if any(stripped) and len(stripped) < 6:  # SACoche skips such a line: we say so
                raise InvalidValueError(
                    _("{file}, line {line}: a student's line has 8 columns: {columns}").format(
                        file=file, line=line, columns=";".join(USERS_HEADER).lower()
                    ),
                    field="file",
                )
            ref, genre, nom, prenom, birth, email, classe, groups = cells[:8]
            student = SacocheStudent(
                nom,
                prenom,
                ref[:_REFERENCE_MAX],
                "",
                "",
                genre,
                birth,
                email,
                classe[:_CLASS_MAX],
                tuple(g.strip() for g in groups.split("|") if g.strip()),
                line,
            )
        if student.nom and student.prenom:
            found.append(student)
        elif any(cells):
            raise InvalidValueError(
                _("{file}, line {line}: a student needs a name and a first name").format(
                    file=file, line=line
                ),
                field="name",
            )
    return found


def read_users(path: str | Path) -> list[SacocheStudent]:
    """:func:`parse_users` of a file."""
    target = Path(path)
    return parse_users(_read(target), str(target))


def students_of(journal: Journal, cohort: str | None = None) -> list[SacocheStudent]:
    """The trainees (of one cohort if given) as SACoche students: the external id as the
    school's reference, the cohort as the class.

    :raises NotFoundError: a cohort with no trainee.
    """
    people = journal.trainees(cohort)
    if cohort is not None and not people:
        raise NotFoundError(
            _("no trainee in cohort {cohort!r}").format(cohort=cohort), field="cohort", value=cohort
        )
    found = []
    for person in people:
        first, last = _split_name(person)
        found.append(
            SacocheStudent(
                nom=last,
                prenom=first,
                reference=person.external_id or "",
                sacoche_id=person.metadata.get("sacoche_id", ""),
                classe=person.cohort or "",
            )
        )
    return found


def sacoche_cuts(students: Iterable[SacocheStudent]) -> tuple[dict[str, str], dict[str, str]]:
    """The classes longer than SACoche keeps (8 characters) and the references longer than
    it keeps (11), each → what SACoche makes of it (upper-cased and cut,
    administrateur_fichier_user.ajax.step20.php): a cohort or external id to shorten before
    SACoche imports the file, or SACoche's classes will not be ep-skills's cohorts."""
    classes: dict[str, str] = {}
    references: dict[str, str] = {}
    for s in students:
        if len(s.classe.strip()) > _CLASS_MAX:
            classes[s.classe] = s.classe.strip().upper()[:_CLASS_MAX]
        if len(s.reference.strip()) > _REFERENCE_MAX:
            references[s.reference] = s.reference.strip().upper()[:_REFERENCE_MAX]
    return classes, references


def format_users(students: Iterable[SacocheStudent]) -> bytes:
    """The file SACoche's administrator imports (« Importer les élèves » with a spreadsheet):
    a header line, then ``reference;genre;nom;prenom;naissance;courriel;classe;groupes``,
    UTF-8 with a byte order mark (SACoche drops it), CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(USERS_HEADER)
    for s in students:
        writer.writerow(
            [
                s.reference,
                s.genre,
                s.nom,
                s.prenom,
                s.birth_date,
                s.email,
                s.classe,
                "|".join(s.groups),
            ]
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def write_users(
    students: Iterable[SacocheStudent], path: str | Path, *, force: bool = False
) -> Path:
    """Write :func:`format_users` to ``path`` (never over an existing file unless ``force``)."""
    from ep_skills.outputs import replacing

    with replacing(path, force=force) as scratch:
        scratch.write_bytes(format_users(students))
    return Path(path)


@frozen
class UsersImport:
    """What an import of SACoche's students did."""

    added: tuple[Trainee, ...]
    """The trainees created (in a dry run: as they would be, numbered 0)."""
    existing: tuple[tuple[int, Trainee], ...]
    """(line of the file, the trainee it is) for each student already in the journal."""
    linked: tuple[Trainee, ...] = ()
    """Trainees already there who were given their SACoche id (and login), so that an
    export for SACoche names them as SACoche knows them (in a dry run: who would be)."""


def import_users(
    journal: Journal,
    path: str | Path,
    *,
    diploma: str,
    cohort: str | None = None,
    start_date: date | None = None,
    dry_run: bool = False,
) -> UsersImport:
    """Create the trainees of a SACoche students' file that the journal does not have.

    A student is already there when a trainee has their SACoche id (metadata
    ``sacoche_id``), their reference as external id, or their name (case and accents aside;
    among homonyms, the one with their id). New trainees keep their SACoche id, login, nom and
    prénom as metadata, their reference as external id, their class as cohort (unless
    ``cohort`` is given). All are added in one transaction, or none.

    :raises InvalidValueError: a bad file, or homonyms ep-skills cannot tell apart (in the
        file, or in the journal with no id to choose).
    """
    target = Path(path)
    file = str(target)
    students = read_users(target)
    if not students:
        raise InvalidValueError(
            _("{file}: the file holds no student").format(file=file), field="file"
        )
    everyone = journal.trainees(archived=True)
    by_sacoche = {t.metadata.get("sacoche_id"): t for t in everyone if t.metadata.get("sacoche_id")}
    by_external = {t.external_id: t for t in everyone if t.external_id}
    by_name: dict[str, list[Trainee]] = {}
    for person in everyone:
        by_name.setdefault(name_key(person.name), []).append(person)
    existing: list[tuple[int, Trainee]] = []
    new: list[SacocheStudent] = []
    names_in_file: dict[str, SacocheStudent] = {}
    for student in students:
        found = (by_sacoche.get(student.sacoche_id) if student.sacoche_id else None) or (
            by_external.get(student.reference) if student.reference else None
        )
        if found is None:
            same = by_name.get(name_key(student.name), [])
            if len(same) == 1 and not (same[0].external_id and student.reference):
                found = same[0]
            elif len(same) > 1 and not student.reference:
                raise InvalidValueError(
                    _(
                        "{file}, line {line}: several trainees are named {name}: give the "
                        "student's reference (their external id)"
                    ).format(file=file, line=student.line, name=student.name),
                    field="trainee",
                    value=student.name,
                )
        if found is not None:
            existing.append((student.line, found))
            continue
        key = name_key(student.name)
        twin = names_in_file.get(key)
        if twin is not None and not (twin.reference and student.reference):
            raise InvalidValueError(
                _(
                    "{file}, lines {first} and {line}: two students named {name}: give each a "
                    "reference (their external id) to keep both"
                ).format(file=file, first=twin.line, line=student.line, name=student.name),
                field="trainee",
                value=student.name,
            )
        names_in_file[key] = student
        new.append(student)
    # Trainees recognised by their name or reference but not yet by their SACoche id: they
    # get it, so that a file exported for SACoche afterwards names them as SACoche does.
    students_at = {student.line: student for student in students}
    to_link = [
        (students_at[line], person)
        for line, person in existing
        if students_at[line].sacoche_id and not person.metadata.get("sacoche_id")
    ]
    added: list[Trainee] = []
    if dry_run:
        added = [
            Trainee(
                0,
                s.name,
                diploma,
                cohort or s.classe or None,
                start_date,
                None,
                s.reference or None,
            )
            for s in new
        ]
        journal.registry.get(diploma)  # an unknown diploma is said in a dry run too
        return UsersImport(tuple(added), tuple(existing), tuple(p for _s, p in to_link))
    linked: list[Trainee] = []
    with journal.storage.transaction():
        for student, person in to_link:
            ids = {"sacoche_id": student.sacoche_id}
            if student.login:
                ids["sacoche_login"] = student.login
            linked.append(
                journal.update_trainee(
                    person.id,
                    metadata={**person.metadata, **ids},
                    note=_("SACoche id from {file}").format(file=target.name),
                )
            )
        for student in new:
            try:
                added.append(
                    journal.add_trainee(
                        student.name,
                        diploma=diploma,
                        cohort=cohort or student.classe or None,
                        start_date=start_date,
                        external_id=student.reference or None,
                        metadata=_metadata(student),
                    )
                )
            except EvidenceError as exc:
                raise InvalidValueError(
                    _("{file}, line {line}: {reason}").format(
                        file=file, line=student.line, reason=exc
                    ),
                    field=exc.field,
                    value=exc.value,
                ) from None
    return UsersImport(tuple(added), tuple(existing), tuple(linked))


def _metadata(student: SacocheStudent) -> dict[str, str]:
    found = {"nom": student.nom, "prenom": student.prenom}
    if student.sacoche_id:
        found["sacoche_id"] = student.sacoche_id
    if student.login:
        found["sacoche_login"] = student.login
    return found
