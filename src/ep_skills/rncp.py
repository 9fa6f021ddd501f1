"""Reading France compétences' open-data export of the RNCP, to start a referential.

The export comes as XML (« flux v4.1 », ~570 MB, one ``FICHE`` per certification) or as
``;``-separated CSV tables (``Blocs_De_Compétences``: ``Numero_Fiche``,
``Bloc_Competences_Code``, ``Bloc_Competences_Libelle``), possibly zipped. The XML is streamed
fiche by fiche and each one is dropped once read, so memory stays bounded whatever the size.

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
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from attrs import frozen

from ep_skills.errors import EpSkillsError
from ep_skills.i18n import _
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


@contextmanager
def _open(path: Path, suffixes: tuple[str, ...]) -> Iterator[tuple[IO[bytes], str]]:
    """The file itself, or the first member of a zip whose name ends with one of ``suffixes``."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(suffixes)]
            if not names:
                raise EpSkillsError(
                    _("{file}: no XML or CSV file in this archive").format(file=path)
                )
            # Prefer the XML (it has the competency lists), then the blocs table among CSVs.
            names.sort(key=lambda n: (not n.lower().endswith(".xml"), "bloc" not in n.lower(), n))
            with archive.open(names[0]) as handle:
                yield handle, names[0]
        return
    with path.open("rb") as handle:
        yield handle, path.name


def _fiche_from_xml(element: ElementTree.Element, source: str) -> RncpFiche:
    level_text = _text(element.find("NOMENCLATURE_EUROPE/NIVEAU")) or ""
    level_match = re.search(r"\d+", level_text)
    blocs = []
    for bloc in element.findall("BLOCS_COMPETENCES/BLOC_COMPETENCES"):
        code = _text(bloc.find("CODE"))
        if code is None:
            continue
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
        level=int(level_match.group()) if level_match else None,
        valid_until=_day(_text(element.find("DATE_FIN_ENREGISTREMENT"))),
        active=None if active is None else active.lower() == "oui",
        blocs=tuple(blocs),
        source_file=source,
    )


def _read_xml(handle: IO[bytes], number: str, source: str) -> RncpFiche | None:
    try:
        events = ElementTree.iterparse(handle, events=("start", "end"))
        root = None
        for event, element in events:
            if root is None and event == "start":
                root = element
            if event != "end" or element.tag != "FICHE":
                continue
            found = _text(element.find("NUMERO_FICHE"))
            if found and found.upper() == number:
                return _fiche_from_xml(element, source)
            # Drop what was read: memory stays bounded on the 570 MB file.
            element.clear()
            if root is not None:
                root.clear()
    except ElementTree.ParseError as exc:
        raise EpSkillsError(
            _("{file}: not a valid RNCP XML export ({error})").format(file=source, error=exc)
        ) from None
    return None


def _read_csv(handle: IO[bytes], number: str, source: str) -> RncpFiche | None:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text, delimiter=";")
    needed = {"Numero_Fiche", "Bloc_Competences_Code", "Bloc_Competences_Libelle"}
    if not reader.fieldnames or not needed <= set(reader.fieldnames):
        raise EpSkillsError(
            _("{file}: expected the columns {columns}").format(
                file=source, columns=";".join(sorted(needed))
            )
        )
    blocs = [
        RncpBloc(
            code=row["Bloc_Competences_Code"].strip(), title=row["Bloc_Competences_Libelle"].strip()
        )
        for row in reader
        if row["Numero_Fiche"].strip().upper() == number
    ]
    return RncpFiche(number=number, blocs=tuple(blocs), source_file=source) if blocs else None


def read_fiche(file: str | Path, number: str) -> RncpFiche:
    """The fiche ``number`` (``RNCP38568``) from an export file (XML, CSV, or a zip of either).

    :raises EpSkillsError: the file cannot be read, or holds no such fiche.
    """
    path = Path(file)
    number = number.strip().upper()
    if not re.fullmatch(r"RNCP\d+", number):
        raise EpSkillsError(
            _("{number!r} is not an RNCP number (like RNCP38568)").format(number=number)
        )
    if not path.exists():
        raise EpSkillsError(_("no such file: {file}").format(file=file))
    with _open(path, (".xml", ".csv")) as (handle, name):
        if name.lower().endswith(".csv"):
            fiche = _read_csv(handle, number, name)
        else:
            fiche = _read_xml(handle, number, name)
    if fiche is None:
        raise EpSkillsError(_("{file}: no fiche {number}").format(file=file, number=number))
    return fiche


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
