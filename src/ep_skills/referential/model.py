"""The diploma referential as data: frozen attrs classes, one per official notion.

A referential is what an *arrêté* and its annexes define for one diploma: activities (RAP),
blocs de compétences holding the competency tree, savoirs associés, and the règlement d'examen
(units, épreuves, coefficients, CCF situations). A plugin adds a task catalogue: the typical
production tasks of the trade, each mapped to the competencies it mobilises.

Every item carries an optional :class:`Provenance`; an item without one inherits it from its
parent (see :func:`ep_skills.referential.provenance.effective_provenance`), so a file states the
source once and overrides it only where an item comes from elsewhere.

Field names are English; the docstrings give the official French term. Labels stay as the
official French text.
"""

from __future__ import annotations

import datetime
from datetime import date
from enum import StrEnum

import attrs
from attrs import frozen

from ep_skills.i18n import N_
from ep_skills.referential.settings import CalculationSettings, Scale

__all__ = [
    "LOCAL_LEGEND",
    "LOCAL_MARK",
    "Activity",
    "ActivityTask",
    "AssessmentMode",
    "Bloc",
    "BlocKind",
    "CatalogueTask",
    "CodeMap",
    "Competency",
    "Context",
    "Correspondence",
    "DiplomaKind",
    "Epreuve",
    "Fragment",
    "Location",
    "Option",
    "Provenance",
    "ProvenanceStatus",
    "Referential",
    "ReferentialStatus",
    "RncpRegistration",
    "Savoir",
    "Situation",
    "Source",
    "TaskCompetency",
    "local_codes",
    "shown_code",
]


class ProvenanceStatus(StrEnum):
    """How far an item can be trusted."""

    VERIFIED = "verified"
    """Read in the official text (arrêté, annexes, RNCP fiche) and copied exactly."""
    SECONDARY = "secondary"
    """Read in a non-official transcription (a teacher's file, a CFA page): to check."""
    DRAFT = "draft"
    """Not found in any source yet: a placeholder for a school or an author to complete."""
    SCHOOL = "school"
    """Added or corrected by a school's own overlay file."""
    AUTHORED = "authored"
    """Written by the plugin author, not claimed to be official (catalogue tasks)."""


class DiplomaKind(StrEnum):
    """Kind of certification (type de diplôme / titre)."""

    CAP = "CAP"
    BAC_PRO = "Bac Pro"
    BP = "BP"
    MC = "MC"
    TITRE_PRO = "Titre professionnel"
    OTHER = "Autre"


class ReferentialStatus(StrEnum):
    """Where a referential version stands in its life."""

    IN_FORCE = "in-force"
    DRAFT = "draft"
    REPLACED = "replaced"


class BlocKind(StrEnum):
    """Professional blocs hold the trade's competencies; general ones the shared subjects."""

    PROFESSIONAL = "professional"
    GENERAL = "general"


class AssessmentMode(StrEnum):
    """Mode d'évaluation of an épreuve."""

    CCF = "ccf"
    """Contrôle en cours de formation: assessment situations during training."""
    PONCTUEL = "ponctuel"
    """One-off exam."""
    CCP = "ccp"
    """Certificat de compétences professionnelles: a titre professionnel's unit, certified on
    its own (mise en situation professionnelle, entretien) and carrying no coefficient — the
    title is obtained with all of them."""


class Location(StrEnum):
    """Where an assessment situation happens."""

    CENTRE = "centre"
    """In the training centre (the school's workshop)."""
    PFMP = "pfmp"
    """In a company, during the périodes de formation en milieu professionnel."""


@frozen
class Provenance:
    """Where an item comes from, and how far it is verified."""

    status: ProvenanceStatus
    source: str | None = None
    """Id of one of the referential's :class:`Source` entries."""
    note: str | None = None


@frozen
class Source:
    """A text the referential was read from (arrêté, annex, RNCP fiche, transcription)."""

    id: str
    title: str
    reference: str | None = None
    """Official identifiers: NOR, JORF/LEGI ids, BO number."""
    url: str | None = None
    note: str | None = None


@frozen
class RncpRegistration:
    """One registration of the diploma in the RNCP (fiche), with its validity.

    The RNCP number is not the diploma's identity: fiches are re-registered under new numbers.
    """

    number: str
    valid_from: date | None = None
    valid_until: date | None = None
    provenance: Provenance | None = None


@frozen
class ActivityTask:
    """A task of an activity in the RAP (« tâche »), e.g. A1T1."""

    code: str
    title: str
    provenance: Provenance | None = None
    note: str | None = None


@frozen
class Activity:
    """An activity of the référentiel des activités professionnelles (RAP), e.g. A1."""

    code: str
    title: str
    tasks: tuple[ActivityTask, ...] = ()
    provenance: Provenance | None = None
    note: str | None = None


@frozen
class Savoir:
    """A savoir associé (associated knowledge), e.g. S1 or SC 1.1, possibly with children."""

    code: str
    title: str
    children: tuple[Savoir, ...] = ()
    provenance: Provenance | None = None
    note: str | None = None


@frozen
class Competency:
    """A competency (« compétence ») of the référentiel de compétences, e.g. CP03 or C1.2.

    Competencies form a tree: C1 → C1.1, C1.2… Only the official wording goes in ``title``;
    another official wording of the same competency (annexes sometimes differ) goes in
    ``alt_titles``.
    """

    code: str
    title: str
    local_code: bool = False
    """The official text gives this item no code (a titre professionnel's « capacités
    attestées » are a list): ``code`` is ep-skills's own identifier, never to be shown as an
    official code."""
    former_codes: tuple[str, ...] = ()
    """Codes an earlier release of this plugin gave the same competency (a code corrected to
    the text's form): evidence recorded under them still counts for it."""
    alt_titles: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    """« Données »: the conditions and resources the competency is exercised with."""
    savoir_faire: tuple[str, ...] = ()
    """« Savoir agir » / « savoir-faire »: the observable actions."""
    indicators: tuple[str, ...] = ()
    """« Indicateurs de performance » / « critères d'évaluation »."""
    savoirs: tuple[str, ...] = ()
    """Codes of the linked savoirs associés."""
    activities: tuple[str, ...] = ()
    """Codes of the RAP activities or tasks this competency serves."""
    children: tuple[Competency, ...] = ()
    provenance: Provenance | None = None
    note: str | None = None


@frozen
class Bloc:
    """A bloc de compétences: a certifiable group of competencies, usually one per unit."""

    id: str
    """Stable id inside the referential (``B1``); the RNCP code changes with the fiche."""
    title: str
    kind: BlocKind = BlocKind.PROFESSIONAL
    rncp_code: str | None = None
    """Code in the current RNCP fiche, e.g. ``RNCP35317BC01``, when it is known."""
    optional: bool = False
    option: str | None = None
    """Code of the diploma option this bloc belongs to; None: every option."""
    competencies: tuple[Competency, ...] = ()
    provenance: Provenance | None = None
    note: str | None = None


@frozen
class Situation:
    """A CCF assessment situation of an épreuve (« situation d'évaluation »)."""

    code: str
    title: str
    location: Location | None = None
    coefficient: float | None = None
    competencies: tuple[str, ...] = ()
    provenance: Provenance | None = None
    note: str | None = None


@frozen
class Epreuve:
    """An épreuve of the règlement d'examen and the unit it certifies (EP1 / UP1)."""

    code: str
    title: str
    local_code: bool = False
    """The text gives this épreuve (or certificate) no code: ``code`` is ep-skills's own."""
    unit: str | None = None
    coefficient: float | None = None
    """None when the official coefficient is not known yet (a draft)."""
    coefficient_note: str | None = None
    """The coefficient as the text writes it when it is not a plain number (« 8 + 1 PSE »)."""
    modes: tuple[AssessmentMode, ...] = ()
    bloc: str | None = None
    """Id of the bloc this épreuve certifies."""
    competencies: tuple[str, ...] = ()
    location: Location | None = None
    duration: str | None = None
    optional: bool = False
    option: str | None = None
    """Code of the diploma option this épreuve belongs to; None: every option."""
    situations: tuple[Situation, ...] = ()
    provenance: Provenance | None = None
    note: str | None = None


@frozen
class Context:
    """Context tags of a task: process, machine, material (« procédé, machine, matière »)."""

    process: tuple[str, ...] = ()
    machine: tuple[str, ...] = ()
    material: tuple[str, ...] = ()


@frozen
class TaskCompetency:
    """A competency a catalogue task mobilises, with the level proposed by default."""

    code: str
    level: str | None = None
    """Level code of the scale proposed when the task is recorded; None: the scale's default."""


@frozen
class CatalogueTask:
    """A typical production task of the trade, mapped to the competencies it mobilises."""

    id: str
    title: str
    competencies: tuple[TaskCompetency, ...]
    activities: tuple[str, ...] = ()
    context: Context = Context()
    location: Location | None = None
    provenance: Provenance | None = None
    note: str | None = None


@frozen
class CodeMap:
    """One line of a correspondence table: old code(s) → new code(s)."""

    old: tuple[str, ...]
    new: tuple[str, ...]
    note: str | None = None


@frozen
class Correspondence:
    """A « tableau de correspondance » from a replaced referential to this one.

    ``units`` maps épreuves/units (as the arrêté's annex does: a unit obtained under the old
    diploma stands for the new one); ``competencies`` maps competency codes, so that evidence
    recorded under the old referential counts under this one, nothing lost.
    """

    old_referential: str
    """Id of the replaced diploma (it need not be installed)."""
    old_title: str
    units: tuple[CodeMap, ...] = ()
    competencies: tuple[CodeMap, ...] = ()
    provenance: Provenance | None = None
    note: str | None = None


@frozen
class Option:
    """An option of the diploma (« option A : chaudronnerie »): some blocs and épreuves are
    its own, and a trainee prepares one of them."""

    code: str
    title: str
    provenance: Provenance | None = None
    note: str | None = None


@frozen
class Referential:
    """One version of a diploma's official referential (« référentiel de diplôme »)."""

    id: str
    """Stable id of the diploma (``cap-cip``); never the RNCP number."""
    title: str
    kind: DiplomaKind
    level: int
    """European qualification level (3 for a CAP, 4 for a Bac Pro)."""
    version: str
    legal_source: str
    """The text that defines this version, as it is cited (« Arrêté du 30 mars 2012 … »)."""
    provenance: Provenance
    """Default provenance of every item that does not state its own."""
    date: date | None = None
    status: ReferentialStatus = ReferentialStatus.IN_FORCE
    replaces: tuple[str, ...] = ()
    """Ids of the referentials this one replaces (rénovation)."""
    replaced_by: str | None = None
    """What replaced this text, as the sources name it (« CAP RICS option A, arrêté du 3
    janvier 2017 », or an ep-skills id), when ``status`` is ``replaced``."""
    amended: tuple[datetime.date, ...] = ()  # (``date`` is a field of this class)
    """The dates of the arrêtés that amended the text since ``date``."""
    meanwhile: str | None = None
    """For a draft: the id of a shipped referential of the same trade, complete and verified,
    to use until this one is complete (not the same diploma: the nearest verified one)."""
    pfmp_weeks: int | None = None
    """Weeks of « période de formation en milieu professionnel » the text asks of the usual
    course (the note says where the text reads it, and any other course's weeks)."""
    include: tuple[str, ...] = ()
    """Shared fragments whose blocs this referential uses, e.g. ``cap-general-2019``."""
    note: str | None = None
    rncp: tuple[RncpRegistration, ...] = ()
    options: tuple[Option, ...] = ()
    sources: tuple[Source, ...] = ()
    scale: Scale | None = None
    settings: CalculationSettings | None = None
    activities: tuple[Activity, ...] = ()
    blocs: tuple[Bloc, ...] = ()
    savoirs: tuple[Savoir, ...] = ()
    epreuves: tuple[Epreuve, ...] = ()
    tasks: tuple[CatalogueTask, ...] = ()
    correspondences: tuple[Correspondence, ...] = ()

    def for_option(self, option: str | None) -> Referential:
        """The referential as a trainee of ``option`` prepares it (all of it for None)."""
        if option is None:
            return self
        blocs = tuple(b for b in self.blocs if b.option in (None, option))
        epreuves = tuple(e for e in self.epreuves if e.option in (None, option))
        return attrs.evolve(self, blocs=blocs, epreuves=epreuves)

    def all_competencies(self) -> list[Competency]:
        """Every competency of every bloc, depth first: each parent before its children."""
        found: list[Competency] = []

        def walk(items: tuple[Competency, ...]) -> None:
            for item in items:
                found.append(item)
                walk(item.children)

        for bloc in self.blocs:
            walk(bloc.competencies)
        return found


@frozen
class Fragment:
    """Blocs shared by several referentials, e.g. the general-education blocs of post-2019 CAPs.

    A referential uses them with ``include = ["<fragment id>"]``; its épreuves then name the
    shared blocs by id. Bloc codes in the RNCP differ per fiche, so a fragment carries none.
    """

    id: str
    title: str
    provenance: Provenance
    note: str | None = None
    sources: tuple[Source, ...] = ()
    blocs: tuple[Bloc, ...] = ()


def local_codes(referential: Referential) -> frozenset[str]:
    """The codes of ``referential`` that are ep-skills's own ids (``local_code``): the views
    mark them (:func:`shown_code`) so that none passes for an official code."""
    return frozenset(
        [c.code for c in referential.all_competencies() if c.local_code]
        + [e.code for e in referential.epreuves if e.local_code]
    )


LOCAL_MARK = "*"
"""What follows a local code where people read it; the views explain it in a legend."""

LOCAL_LEGEND = N_("* an ep-skills id: the official text gives this item no code")
"""The legend of :data:`LOCAL_MARK`, translated where it is shown."""


def shown_code(code: str, local: frozenset[str]) -> str:
    """``code`` as shown to people: marked when it is ep-skills's own id."""
    return f"{code}{LOCAL_MARK}" if code in local else code
