"""Reading France compétences' open-data export of the RNCP, to start a referential.

The export comes as XML (« flux v4.1 », ~570 MB, one ``FICHE`` per certification) or as
``;``-separated CSV tables (``Blocs_De_Compétences``: ``Numero_Fiche``,
``Bloc_Competences_Code``, ``Bloc_Competences_Libelle``), possibly zipped. The XML is streamed
fiche by fiche and each one is dropped once read, so memory stays bounded whatever the size.
The export is bounded like every input (:class:`ep_skills.importing.Limits`): a regular file,
a zip checked before it is read, fiches and their blocs of a sane size; a file that cannot be
read is one clear message.

:func:`skeleton` turns a fiche into a draft :class:`Referential`: the official bloc codes and
titles (verified: they are the export's own text), the competency lists of the blocs when the
XML has them, and nothing invented — épreuves, coefficients and catalogue tasks are left for
the author to complete from the arrêté.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, cast
from xml.etree import ElementTree

from attrs import frozen

from ep_skills.errors import EpSkillsError
from ep_skills.i18n import _
from ep_skills.importing import LIMITS, Limits, bounded_lines, check_regular_file, open_zip
from ep_skills.referential.model import (
    Bloc,
    BlocKind,
    Competency,
    DiplomaKind,
    Provenance,
    ProvenanceStatus,
    Referential,
    ReferentialStatus,
    RncpRegistration,
    Source,
)

__all__ = ["RncpBloc", "RncpFiche", "read_fiche", "skeleton", "slug"]

_KINDS = {
    "CAP": DiplomaKind.CAP,
    "BAC PRO": DiplomaKind.BAC_PRO,
    "BP": DiplomaKind.BP,
    "MC": DiplomaKind.MC,
    "TP": DiplomaKind.TITRE_PRO,
}
_GENERAL_WORDS = (
    "français",
    "francais",
    "mathématiques",
    "mathematiques",
    "physique",
    "éducation physique",
    "education physique",
    "langue",
    "prévention",
    "prevention",
    "histoire",
    "arts appliqués",
    "arts appliques",
    "économie",
    "economie",
)


@frozen
class RncpBloc:
    """A bloc de compétences as the RNCP export gives it."""

    code: str
    title: str
    competencies: tuple[str, ...] = ()
    """The lines of ``LISTE_COMPETENCES`` (XML only)."""
    assessment: str | None = None
    """``MODALITES_EVALUATION`` (XML only)."""


@frozen
class RncpFiche:
    """What the export says of one fiche."""

    number: str
    title: str | None = None
    abbreviation: str | None = None
    level: int | None = None
    valid_until: date | None = None
    active: bool | None = None
    blocs: tuple[RncpBloc, ...] = ()
    source_file: str = ""


def slug(text: str) -> str:
    """An ascii, dash-separated id: « CAP Ébéniste » → ``cap-ebeniste``."""
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", bare.lower()).strip("-")


def _text(element: ElementTree.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None


def _lines(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    # The export strips HTML but keeps <br> as line breaks (sometimes literally).
    parts = re.split(r"<br\s*/?>|\n", text)
    return tuple(p.strip(" -•\t") for p in parts if p.strip(" -•\t"))


def _day(text: str | None) -> date | None:
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


_ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError)
"""What zipfile raises on a damaged archive."""


@contextmanager
def _open(path: Path, suffixes: tuple[str, ...], limits: Limits) -> Iterator[tuple[IO[bytes], str]]:
    """The file itself, or the first member of a zip whose name ends with one of ``suffixes``
    (the zip checked first: its size once unzipped, how much it is compressed)."""
    with path.open("rb") as handle:
        if not zipfile.is_zipfile(handle):
            handle.seek(0)
            yield handle, path.name
            return
        try:
            archive = open_zip(handle, path, limits.rncp_bytes, limits)
        except _ZIP_ERRORS as exc:
            # Offsets and sizes of a damaged directory lead zipfile astray.
            raise _damaged(path, exc) from None
        with archive:
            names = [n for n in archive.namelist() if n.lower().endswith(suffixes)]
            if not names:
                raise EpSkillsError(
                    _("{file}: no XML or CSV file in this archive").format(file=path)
                )
            # Prefer the XML (it has the competency lists), then the blocs table among CSVs.
            names.sort(key=lambda n: (not n.lower().endswith(".xml"), "bloc" not in n.lower(), n))
            try:
                member = archive.open(names[0])
            except _ZIP_ERRORS as exc:
                raise _damaged(path, exc) from None
            with member:
                yield member, names[0]


def _damaged(file: str | Path, exc: BaseException) -> EpSkillsError:
    return EpSkillsError(
        _("{file}: the archive is damaged ({error})").format(file=file, error=_one_line(exc))
    )


def _fiche_from_xml(element: ElementTree.Element, source: str, limits: Limits) -> RncpFiche:
    level_text = _text(element.find("NOMENCLATURE_EUROPE/NIVEAU")) or ""
    level_match = re.search(r"\d+", level_text)
    blocs: list[RncpBloc] = []
    for bloc in element.findall("BLOCS_COMPETENCES/BLOC_COMPETENCES"):
        code = _text(bloc.find("CODE"))
        if code is None:
            continue
        if len(blocs) == limits.rncp_blocs:
            raise _too_many_blocs(source, _text(element.find("NUMERO_FICHE")) or "", limits)
        blocs.append(
            RncpBloc(
                code=code,
                title=_text(bloc.find("LIBELLE")) or "",
                competencies=_lines(_text(bloc.find("LISTE_COMPETENCES"))),
                assessment=_text(bloc.find("MODALITES_EVALUATION")),
            )
        )
    active = _text(element.find("ACTIF"))
    return RncpFiche(
        number=_text(element.find("NUMERO_FICHE")) or "",
        title=_text(element.find("INTITULE")),
        abbreviation=_text(element.find("ABREGE/CODE")),
        level=int(level_match.group()) if level_match and len(level_match.group()) < 4 else None,
        valid_until=_day(_text(element.find("DATE_FIN_ENREGISTREMENT"))),
        active=None if active is None else active.lower() == "oui",
        blocs=tuple(blocs),
        source_file=source,
    )


def _read_xml(handle: IO[bytes], number: str, source: str, limits: Limits) -> RncpFiche | None:
    parser: ElementTree.XMLPullParser[ElementTree.Element]
    parser = ElementTree.XMLPullParser(events=("start", "end"))
    open_elements: list[ElementTree.Element] = []
    push, pop = open_elements.append, open_elements.pop
    held = 0  # bytes read since the last fiche was dropped: what the tree may hold
    try:
        while chunk := handle.read(1 << 14):
            parser.feed(chunk)
            held += len(chunk)
            # "start" and "end" events come with their element
            events = cast("Iterator[tuple[str, ElementTree.Element]]", parser.read_events())
            for event, element in events:
                if event == "start":
                    push(element)
                    continue
                pop()
                if element.tag != "FICHE":
                    continue
                found = _text(element.find("NUMERO_FICHE"))
                if found and found.upper() == number:
                    return _fiche_from_xml(element, source, limits)
                # Drop what was read, the fiche and whatever came before it in its parent
                # (the root, in the export): memory stays bounded on the 570 MB file.
                element.clear()
                if open_elements:
                    open_elements[-1].clear()
                held = 0
            if held > limits.rncp_fiche_bytes:
                raise EpSkillsError(
                    _(
                        "{file}: more than {max} MB without the end of a fiche: not an RNCP "
                        "export, or a damaged one"
                    ).format(file=source, max=-(-limits.rncp_fiche_bytes // 1_000_000))
                )
        parser.close()
    except ElementTree.ParseError as exc:
        raise EpSkillsError(
            _("{file}: not a valid RNCP XML export ({error})").format(file=source, error=exc)
        ) from None
    return None


def _read_csv(handle: IO[bytes], number: str, source: str, limits: Limits) -> RncpFiche | None:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(bounded_lines(text, source, limits.line_chars), delimiter=";")
    needed = {"Numero_Fiche", "Bloc_Competences_Code", "Bloc_Competences_Libelle"}
    row_number = 0  # the last row read
    try:
        if not reader.fieldnames or not needed <= set(reader.fieldnames):
            raise EpSkillsError(
                _("{file}: expected the columns {columns}").format(
                    file=source, columns=";".join(sorted(needed))
                )
            )
        blocs: list[RncpBloc] = []
        row_number = 1
        for row in reader:
            row_number += 1
            # A short row has None for its missing cells; a bloc needs its code.
            code = (row["Bloc_Competences_Code"] or "").strip()
            if not code or (row["Numero_Fiche"] or "").strip().upper() != number:
                continue
            if len(blocs) == limits.rncp_blocs:
                raise _too_many_blocs(source, number, limits)
            blocs.append(RncpBloc(code=code, title=(row["Bloc_Competences_Libelle"] or "").strip()))
    except csv.Error:
        raise EpSkillsError(
            _(
                '{file}: row {row} is not well-formed CSV: a cell is too long, or a quote (") '
                "is not closed"
            ).format(file=source, row=row_number + 1)
        ) from None
    return RncpFiche(number=number, blocs=tuple(blocs), source_file=source) if blocs else None


def _too_many_blocs(source: str, number: str, limits: Limits) -> EpSkillsError:
    return EpSkillsError(
        _("{file}: fiche {number} has more than {max} blocs").format(
            file=source, number=number, max=limits.rncp_blocs
        )
    )


def read_fiche(file: str | Path, number: str, *, limits: Limits = LIMITS) -> RncpFiche:
    """The fiche ``number`` (``RNCP38568``) from an export file (XML, CSV, or a zip of either).

    :raises EpSkillsError: the file cannot be read, is beyond ``limits``, or holds no such
        fiche.
    """
    number = number.strip().upper()
    if not re.fullmatch(r"RNCP\d+", number):
        raise EpSkillsError(
            _("{number!r} is not an RNCP number (like RNCP38568)").format(number=number)
        )
    path = check_regular_file(file, limits.rncp_bytes)
    try:
        with _open(path, (".xml", ".csv"), limits) as (handle, name):
            if name.lower().endswith(".csv"):
                fiche = _read_csv(handle, number, name, limits)
            else:
                fiche = _read_xml(handle, number, name, limits)
    except UnicodeDecodeError as exc:
        raise EpSkillsError(
            _(
                "{file}: the text is not UTF-8 (byte {byte}), as the RNCP export is: download "
                "it again"
            ).format(file=file, byte=_byte(exc))
        ) from None
    except (LookupError, ValueError) as exc:  # an XML declaration naming an unknown encoding
        raise EpSkillsError(
            _("{file}: not a valid RNCP XML export ({error})").format(
                file=file, error=_one_line(exc)
            )
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:  # a member
        raise _damaged(file, exc) from None
    except OSError as exc:
        raise EpSkillsError(
            _("cannot read the file {file}: {reason}").format(
                file=file, reason=exc.strerror or _one_line(exc)
            )
        ) from None
    if fiche is None:
        raise EpSkillsError(_("{file}: no fiche {number}").format(file=file, number=number))
    return fiche


def _byte(exc: UnicodeDecodeError) -> str:
    return f"0x{exc.object[exc.start]:02X}" if exc.start < len(exc.object) else "—"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def _bloc_id(code: str, index: int) -> str:
    match = re.search(r"BC\d+$", code)
    return match.group() if match else f"B{index + 1}"


def skeleton(fiche: RncpFiche, *, diploma_id: str | None = None) -> Referential:
    """A draft referential holding what the fiche says, ready to complete from the arrêté."""
    source = Source(
        id="rncp-export",
        title=f"France compétences — export RNCP, fiche {fiche.number}",
        reference=fiche.source_file or None,
        url=f"https://www.francecompetences.fr/recherche/rncp/{fiche.number[4:]}/",
    )
    official = Provenance(ProvenanceStatus.VERIFIED, "rncp-export")
    blocs = []
    for i, bloc in enumerate(fiche.blocs):
        bloc_id = _bloc_id(bloc.code, i)
        general = any(word in bloc.title.lower() for word in _GENERAL_WORDS)
        competencies = tuple(
            Competency(
                code=f"{bloc_id}.{n}",
                title=line,
                note="identifiant attribué par ep-skills (rang dans la liste de la fiche), "
                "pas un code officiel",
            )
            for n, line in enumerate(bloc.competencies, start=1)
        )
        blocs.append(
            Bloc(
                id=bloc_id,
                title=bloc.title,
                rncp_code=bloc.code,
                optional="facultatif" in bloc.title.lower(),
                kind=BlocKind.GENERAL if general else BlocKind.PROFESSIONAL,
                competencies=competencies,
                note=bloc.assessment,
            )
        )
    title = fiche.title or fiche.number
    kind = _KINDS.get((fiche.abbreviation or "").upper(), DiplomaKind.OTHER)
    return Referential(
        id=diploma_id or slug(f"{fiche.abbreviation or ''} {title}") or fiche.number.lower(),
        title=title,
        kind=kind,
        level=fiche.level or 0,
        version="à compléter",
        legal_source=f"Fiche {fiche.number} (France compétences) — arrêté à compléter",
        provenance=official,
        status=ReferentialStatus.DRAFT,
        note="Squelette créé par « ep-skills referential import-rncp » : blocs et compétences "
        "de la fiche RNCP. À compléter depuis l'arrêté : version, texte, épreuves, "
        "coefficients, compétences détaillées, catalogue de tâches.",
        rncp=(RncpRegistration(fiche.number, valid_until=fiche.valid_until),),
        sources=(source,),
        blocs=tuple(blocs),
    )
