"""Moodle competency frameworks (« référentiels de compétences ») as CSV, both ways.

Moodle's admin tool ``tool_lpimportcsv`` imports and exports a competency framework as one
CSV file. Every detail below was read in Moodle's source (``moodle/moodle`` on GitHub, GPL 3):

- ``admin/tool/lpimportcsv/classes/framework_importer.php`` (commit
  ``5181476e254d166db11bde3769745c95246ecc7e``): the 14 columns, by position
  (``read_mapping_data``: parent id number, id number, short name, description, description
  format, scale values, scale configuration, rule type, rule outcome, rule config,
  cross-referenced id numbers, exported id, is framework, taxonomy); the one row whose « Is
  framework » is true is the framework, every other row a competency placed under the row
  whose id number is its « Parent ID number » (empty: under the framework); short names and
  id numbers are cut to 100 characters (``shorten_text``); a row without id number or short
  name is not created; the framework's scale configuration is JSON whose first element's
  ``scaleid`` is replaced by the scale found or created from « Scale values »
  (``get_scale_configuration``, ``get_scale_id``); a rule config ``"null"`` means none.
- ``admin/tool/lpimportcsv/classes/framework_exporter.php`` (commit
  ``45079d79642fefbd1bbbebf113cad49de3b98fde``): the framework row first (its parent empty,
  « Is framework » true, taxonomies joined by commas), then one row per competency (« Is
  framework » false, its Moodle id as exported id, ``null`` for no rule config), written with
  ``csv_export_writer`` (comma, double quotes, UTF-8).
- ``admin/tool/lpimportcsv/lang/en/tool_lpimportcsv.php`` (commit
  ``29765e6e3b9e210de89a0a03d4929ef2a5a0ef7a``): the header's words.
- ``competency/classes/competency.php``: rule outcomes (``OUTCOME_NONE`` 0, ``_EVIDENCE`` 1,
  ``_COMPLETE`` 2, ``_RECOMMEND`` 3); ``competency/classes/competency_rule_all.php``: the rule
  « all children are complete », config null; ``competency/classes/competency_framework.php``:
  the taxonomy words (``domain``, ``competency``…); ``lib/weblib.php``: ``FORMAT_HTML`` 1,
  ``FORMAT_PLAIN`` 2.
- ``admin/tool/lpimportcsv/tests/fixtures/example.csv`` (commit
  ``337fd7b2e88cc06ef97c6ec30bbc63172e0b94f4``): Moodle's own test file, vendored under
  ``tests/fixtures/exchange/moodle/`` (note that its header's words are an older wording;
  Moodle reads the columns by position, and so does ep-skills).

ep-skills's tree maps one to one: the diploma is the framework, each bloc a top-level
competency, each competency a competency under its bloc or its parent. A title longer than
Moodle's 100-character short name is written whole as the description, in plain text: read
back, a plain-text description is the title. The scale is the diploma's scoring levels
(``RR,R,V,VV`` by default), the levels reaching the « acquis » threshold marked proficient
and the scale's default level as Moodle's default. Parents get Moodle's rule « all children
are complete » when the diploma rolls up that way (ep-skills's default, ``all-children``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from ep_skills.errors import InvalidValueError
from ep_skills.i18n import _
from ep_skills.referential.defaults import DEFAULT_SCALE
from ep_skills.referential.model import (
    Bloc,
    Competency,
    DiplomaKind,
    Provenance,
    ProvenanceStatus,
    Referential,
    ReferentialStatus,
    Source,
)
from ep_skills.referential.settings import AcquisitionState, Level, Scale

__all__ = [
    "MOODLE_HEADERS",
    "MoodleImport",
    "export_framework",
    "format_framework",
    "import_framework",
    "parse_framework",
]

MOODLE_HEADERS = (
    "Parent ID number",
    "ID number",
    "Short name",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    "Cross-referenced competency ID numbers",
    "Exported ID (optional)",
    "Is framework",
    "Taxonomy",
)
"""The header Moodle writes (its English strings, ``list_required_headers``)."""

RULE_ALL = "core_competency\\competency_rule_all"
OUTCOME_NONE = 0
OUTCOME_COMPLETE = 2
FORMAT_HTML = 1
FORMAT_PLAIN = 2
SHORT_MAX = 100  # shorten_text(…, 100) on the short name and the id number
_MAX_BYTES = 50_000_000
_MAX_DEPTH = 12


def _shortened(text: str) -> str:
    """A short name Moodle keeps whole: at most 100 characters, cut at a word with ``...``
    as ``shorten_text`` does."""
    if len(text) <= SHORT_MAX:
        return text
    cut = text[: SHORT_MAX - 3]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "..."


def _fputcsv(cells: Sequence[object]) -> str:
    # PHP's fputcsv, which csv_export_writer uses: a field is quoted when it holds the
    # delimiter, a quote, a line break, a tab or a space; quotes are doubled.
    out = []
    for cell in cells:
        text = "1" if cell is True else "" if cell is False else str(cell)
        if any(c in text for c in ',"\n\r\t '):
            text = '"' + text.replace('"', '""') + '"'
        out.append(text)
    return ",".join(out) + "\n"


def _scale_cells(scale: Scale) -> tuple[str, str]:
    """Moodle's « Scale values » and « Scale configuration » for ``scale``."""
    scoring = sorted((lv for lv in scale.levels if lv.scoring), key=lambda lv: lv.value or 0)
    acquired = [s.min_score for s in scale.states if s.acquired]
    threshold = min(acquired) if acquired else 100
    default = scale.default_level
    if default not in {lv.code for lv in scoring}:
        default = next(
            (lv.code for lv in scoring if (lv.value or 0) >= threshold), scoring[-1].code
        )
    # The first element's scaleid is the exporting site's scale; Moodle's importer replaces it
    # with the scale it finds or creates from the values (get_scale_configuration).
    config: list[dict[str, Any]] = [{"scaleid": "0"}]
    for i, level in enumerate(scoring, start=1):
        config.append(
            {
                "id": i,
                "scaledefault": int(level.code == default),
                "proficient": int((level.value or 0) >= threshold),
            }
        )
    return ",".join(lv.code for lv in scoring), json.dumps(config, separators=(",", ":"))


def format_framework(referential: Referential, *, scale: Scale | None = None) -> bytes:
    """The CSV Moodle's « Import competency framework » reads, for ``referential`` (its blocs
    as top-level competencies); UTF-8, comma-separated, as Moodle exports it.

    :param scale: the diploma's scale (default: the referential's, else ep-skills's).
    """
    scale = scale or referential.scale or DEFAULT_SCALE
    values, config = _scale_cells(scale)
    rollup = referential.settings.rollup if referential.settings else None
    rule_all = rollup in (None, "all-children")
    depth = 1 + max((_depth(b.competencies) for b in referential.blocs), default=0)
    taxonomies = ",".join(["domain"] + ["competency"] * (depth - 1))
    out = [_fputcsv(MOODLE_HEADERS)]
    out.append(
        _fputcsv(
            [
                "",
                referential.id,
                _shortened(referential.title),
                referential.title,
                FORMAT_PLAIN,
                values,
                config,
                "",
                "",
                "",
                "",
                "",
                True,
                taxonomies,
            ]
        )
    )
    exported = 0

    def row(parent: str, code: str, title: str, has_children: bool, rule: bool) -> None:
        nonlocal exported
        exported += 1
        ruled = has_children and rule
        out.append(
            _fputcsv(
                [
                    parent,
                    code,
                    _shortened(title),
                    title,
                    FORMAT_PLAIN,
                    "",
                    "",
                    RULE_ALL if ruled else "",
                    OUTCOME_COMPLETE if ruled else OUTCOME_NONE,
                    "null",
                    "",
                    exported,
                    False,
                    "",
                ]
            )
        )

    def walk(parent: str, items: tuple[Competency, ...]) -> None:
        for item in items:
            row(parent, item.code, item.title, bool(item.children), rule_all)
            walk(item.code, item.children)

    for bloc in referential.blocs:
        # A bloc counts its acquired competencies; it is never « complete » as a whole.
        row("", bloc.id, bloc.title, bool(bloc.competencies), False)
        walk(bloc.id, bloc.competencies)
    return "".join(out).encode("utf-8")


def _depth(items: tuple[Competency, ...]) -> int:
    return 1 + max((_depth(i.children) for i in items), default=0) if items else 0


def export_framework(
    referential: Referential,
    path: str | Path,
    *,
    scale: Scale | None = None,
    force: bool = False,
) -> Path:
    """Write :func:`format_framework` to ``path`` (never over an existing file unless
    ``force``)."""
    from ep_skills.outputs import replacing

    data = format_framework(referential, scale=scale)
    with replacing(path, force=force, private=False) as scratch:
        scratch.write_bytes(data)
    return Path(path)


# -- import -----------------------------------------------------------------------------------


@frozen
class _Row:
    line: int
    parent: str
    idnumber: str
    shortname: str
    description: str
    description_format: str
    scale_values: str
    scale_configuration: str
    rule_type: str
    related: str


@frozen
class MoodleImport:
    """A Moodle framework as an ep-skills referential, and what ep-skills could not keep."""

    referential: Referential
    dropped: tuple[str, ...]
    """What the file holds that the referential has no place for (rules other than « all
    children », cross-references), one sentence each."""


def _decode(raw: bytes, file: str) -> str:
    if len(raw) > _MAX_BYTES:
        raise InvalidValueError(
            _("{file}: the file is too large for a competency framework").format(file=file),
            field="file",
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidValueError(
            _("{file}: not UTF-8 text: export the framework from Moodle again").format(file=file),
            field="file",
        ) from None


def _read_rows(text: str, file: str, delimiter: str) -> tuple[list[_Row], _Row]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows: list[_Row] = []
    framework: _Row | None = None
    try:
        header = next(reader, None)
        if header is None or len(header) < len(MOODLE_HEADERS):
            raise InvalidValueError(
                _(
                    "{file}, line 1: not a Moodle competency framework: {n} columns, "
                    "{expected} expected"
                ).format(file=file, n=len(header or ()), expected=len(MOODLE_HEADERS)),
                field="file",
            )
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            cells = cells + [""] * (len(MOODLE_HEADERS) - len(cells))
            row = _Row(
                line,
                cells[0].strip(),
                cells[1].strip(),
                cells[2].strip(),
                cells[3],
                cells[4].strip(),
                cells[5].strip(),
                cells[6].strip(),
                cells[7].strip(),
                cells[10].strip(),
            )
            if cells[12].strip() not in ("", "0"):  # PHP's truth, as the importer tests it
                if framework is not None:
                    raise InvalidValueError(
                        _(
                            "{file}, line {line}: a second framework row (the first: line {first})"
                        ).format(file=file, line=line, first=framework.line),
                        field="file",
                    )
                framework = row
            else:
                rows.append(row)
    except csv.Error as exc:
        raise InvalidValueError(
            _("{file}, line {line}: cannot read the CSV ({reason})").format(
                file=file, line=reader.line_num, reason=exc
            ),
            field="file",
        ) from None
    if framework is None:
        raise InvalidValueError(
            _("{file}: no row has « Is framework » set: not a Moodle competency framework").format(
                file=file
            ),
            field="file",
        )
    return rows, framework


def _title(row: _Row) -> str:
    """The whole title: a plain-text description (ep-skills writes the title there when the
    short name had to be cut), else the short name."""
    if row.description_format == str(FORMAT_PLAIN) and row.description.strip():
        return row.description.strip()
    return row.shortname


def _imported_scale(values: str, configuration: str, file: str, line: int) -> Scale | None:
    """The diploma's scale from Moodle's: None when it is ep-skills's own (RR,R,V,VV)."""
    items = [v.strip() for v in values.split(",") if v.strip()]
    default_codes = [lv.code for lv in DEFAULT_SCALE.levels if lv.scoring]
    if not items or items == default_codes:
        return None
    try:
        config = json.loads(configuration) if configuration else [{}]
        flags = {int(c["id"]): c for c in config[1:]}
    except (ValueError, TypeError, KeyError, IndexError):
        raise InvalidValueError(
            _("{file}, line {line}: the scale configuration is not Moodle's JSON").format(
                file=file, line=line
            ),
            field="scale",
        ) from None
    step = 100 / (len(items) - 1) if len(items) > 1 else 0
    levels = [
        Level(item, item, round(i * step) if len(items) > 1 else 100)
        for i, item in enumerate(items)
    ]
    proficient = [
        lv.value or 0 for i, lv in enumerate(levels, 1) if flags.get(i, {}).get("proficient")
    ]
    threshold = min(proficient) if proficient else 100
    default = next(
        (lv.code for i, lv in enumerate(levels, 1) if flags.get(i, {}).get("scaledefault")), None
    )
    states = [AcquisitionState("NA", "non acquis", 0, symbol="✗", colour="red")]
    if threshold > 0:
        states.append(AcquisitionState("A", "acquis", threshold, acquired=True, symbol="✓"))
    else:
        states = [AcquisitionState("A", "acquis", 0, acquired=True, symbol="✓")]
    extra = [lv for lv in DEFAULT_SCALE.levels if not lv.scoring and lv.code not in items]
    return Scale(tuple(levels + extra), tuple(states), default_level=default)


def parse_framework(
    raw: bytes,
    file: str = "<framework>",
    *,
    diploma_id: str | None = None,
    kind: DiplomaKind = DiplomaKind.OTHER,
    level: int = 0,
    version: str = "1",
    legal_source: str | None = None,
    delimiter: str = ",",
) -> MoodleImport:
    """Read a Moodle competency framework CSV into a referential: the framework's id number
    as its id (unless ``diploma_id``), its top-level competencies as blocs, the others as
    competencies under them. The referential is a draft whose items are marked « secondary »
    (read in a transcription, not the official text): a plugin author completes it.

    :raises InvalidValueError: not such a file; a row without id number, an id number given
        twice, a parent id number that is no row's, rows nested too deeply.
    """
    text = _decode(raw, file)
    rows, framework = _read_rows(text, file, delimiter)
    seen: dict[str, _Row] = {}
    for row in rows:
        if not row.idnumber or not row.shortname:
            raise InvalidValueError(
                _("{file}, line {line}: a competency needs an id number and a short name").format(
                    file=file, line=row.line
                ),
                field="code",
            )
        if row.idnumber in seen or row.idnumber == framework.idnumber:
            raise InvalidValueError(
                _("{file}, line {line}: the id number {code!r} is given twice").format(
                    file=file, line=row.line, code=row.idnumber
                ),
                field="code",
                value=row.idnumber,
            )
        seen[row.idnumber] = row
    for row in rows:
        if row.parent and row.parent not in seen:
            raise InvalidValueError(
                _("{file}, line {line}: the parent {code!r} is no competency of the file").format(
                    file=file, line=row.line, code=row.parent
                ),
                field="code",
                value=row.parent,
            )
    children: dict[str, list[_Row]] = {}
    for row in rows:
        children.setdefault(row.parent, []).append(row)
    dropped: list[str] = []
    placed: set[str] = set()

    def tree(parent: str, depth: int) -> tuple[Competency, ...]:
        found = []
        for row in children.get(parent, []):
            if depth > _MAX_DEPTH:
                raise InvalidValueError(
                    _("{file}, line {line}: competencies nested more than {n} deep").format(
                        file=file, line=row.line, n=_MAX_DEPTH
                    ),
                    field="code",
                )
            placed.add(row.idnumber)
            if row.rule_type and row.rule_type != RULE_ALL:
                dropped.append(
                    _(
                        "line {line}: rule {rule} of {code} (ep-skills rolls up by its settings)"
                    ).format(line=row.line, rule=row.rule_type, code=row.idnumber)
                )
            if row.related:
                dropped.append(
                    _("line {line}: cross-references of {code} ({related})").format(
                        line=row.line, code=row.idnumber, related=row.related
                    )
                )
            found.append(
                Competency(
                    code=row.idnumber, title=_title(row), children=tree(row.idnumber, depth + 1)
                )
            )
        return tuple(found)

    blocs = tuple(
        Bloc(id=top.code, title=top.title, competencies=top.children) for top in tree("", 1)
    )
    orphans = sorted((r for r in rows if r.idnumber not in placed), key=lambda r: r.line)
    if orphans:
        raise InvalidValueError(
            _("{file}, line {line}: {code!r} is its own ancestor").format(
                file=file, line=orphans[0].line, code=orphans[0].idnumber
            ),
            field="code",
        )
    source = Source(
        id="moodle",
        title=_("Moodle competency framework {id}").format(id=framework.idnumber),
        note=Path(file).name,
    )
    referential = Referential(
        id=diploma_id or framework.idnumber,
        title=_title(framework),
        kind=kind,
        level=level,
        version=version,
        legal_source=legal_source or source.title,
        provenance=Provenance(ProvenanceStatus.SECONDARY, source="moodle"),
        status=ReferentialStatus.DRAFT,
        sources=(source,),
        scale=_imported_scale(
            framework.scale_values, framework.scale_configuration, file, framework.line
        ),
        blocs=blocs,
    )
    return MoodleImport(referential, tuple(dropped))


def import_framework(path: str | Path, **options: Any) -> MoodleImport:
    """:func:`parse_framework` of a file (same options)."""
    from ep_skills.importing import read_bytes

    target = Path(path)
    return parse_framework(read_bytes(target, _MAX_BYTES), str(target), **options)
