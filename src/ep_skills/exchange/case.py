"""A referential as a 1EdTech CASE 1.1 package (« Competencies and Academic Standards
Exchange »), and back.

A network of schools shares diploma referentials with the tools that speak CASE (OpenSALT,
OpenCASE, the publishers' standards servers) as one ``CFPackage`` JSON object:

- the diploma is the ``CFDocument``: ``title``, ``version``, the text that defines it
  (``legal_source``) as ``description``, ``language`` ``fr``, the URL of the text its
  provenance names as ``officialSourceURL``, its sources and notes as ``notes``;
- blocs, competencies (at every depth) and épreuves are ``CFItems``: ``fullStatement`` is the
  official title, ``humanCodingScheme`` the official code — never an ep-skills id
  (``local_code``), which stays out of it so that no code passes for official; ``CFItemType``
  names the notion as the texts do (« Bloc de compétences », « Compétence », « Épreuve »,
  « Certificat de compétences professionnelles » for a titre professionnel's CCP), each
  defined once in ``CFDefinitions.CFItemTypes``;
- the tree is made of ``isChildOf`` associations (origin: the child, destination: its parent,
  the bloc or the document), ordered by ``sequenceNumber``; épreuves hang from the document;
- an épreuve's competencies are ``isRelatedTo`` associations from the épreuve to each
  competency, in the association grouping « Compétences évaluées par l'épreuve ». Why
  ``isRelatedTo``: the specification reserves ``isChildOf`` for the taxonomy (a competency
  already has its parent, the bloc, and an épreuve may assess competencies of several blocs),
  ``isPartOf`` says the origin « is included either physically or logically » in the
  destination (an épreuve is not a part of a competency, nor the reverse), and ``exemplar``,
  ``hasSkillLevel``, ``precedes``… mean other things; ``isRelatedTo`` is « related to the
  destination in some way that is not better described by another association type », and
  the grouping says which way. An ``ext:`` type would be unknown to every other tool.

Identifiers are UUIDs version 5 of :data:`NAMESPACE` and the diploma id, the kind of item and
its key (a bloc's id, a competency's or an épreuve's code): exporting the same referential
again gives the same identifiers, so that a CASE server updates its items instead of adding
new ones. URIs are ``urn:uuid:…`` unless the caller names the base URL of a CASE server
(``base_uri``: ``…/CFItems/{identifier}`` as the REST binding's paths).

What CASE has no field for (an épreuve's coefficient and modes, a competency's « savoir
agir », the provenance of each item, the sources, the task catalogue, the scale…) travels in
the ``extensions`` of the document and of each item, under the key :data:`EXTENSION`, the
referential's own TOML data as JSON. The specification leaves extensions to implementers
(« This specification is silent on what implementers may consider to be appropriate
extensions »). What CASE fields hold is read from them, not from the extension: a title
corrected in a CASE editor is the title imported.

A package from another tool has no such extension: it is read as a draft referential whose
provenance is « secondary » (the package, to be checked against the official text), its
root items that are not épreuves are blocs, their descendants competencies, an item without
``humanCodingScheme`` gets an ep-skills code (``local_code``), and an épreuve without a
coefficient is marked a draft. It has no catalogue task yet: the plugin author writes them.

Sources read (the format is theirs, nothing here is guessed):

- the official JSON Schema of the package, ``$id``
  https://purl.imsglobal.org/spec/case/v1p1/schema/json/case_v1p1_cfpackage-jsonschema1.json,
  in 1EdTech's repository ``1EdTech/OpenCASE``, ``apps/opencase/schemas/official/
  case-v1p1-cfpackage.json``, commit a30c942bc98f431e2d5483f37f5e0e2b087a2b34 (vendored in
  ``tests/fixtures/exchange/case/``): fields, required ones, the association types;
- the CASE 1.1 data model, same repository and commit, ``apps/opencase/docs/DataModel.md``
  (1EdTech Final Release, 24 January 2025): the meaning of each association type (« isChildOf
  - … The source/origin is a child of the target/destination », « isRelatedTo - … »), of the
  ``extensions``, of ``sequenceNumber`` (preferred over ``listEnumeration`` for ordering);
- the REST binding, same repository and commit, ``apps/opencase/docs/RESTBindings.md``: the
  paths ``/CFDocuments/{sourcedId}``, ``/CFItems/{sourcedId}``, ``/CFAssociations/
  {sourcedId}``, ``/CFItemTypes/{sourcedId}``, ``/CFAssociationGroupings/{sourcedId}``;
- OpenSALT, the reference open-source CASE server, ``opensalt/opensalt``,
  ``core/src/Entity/Framework/LsDoc.php``, commit d138f0a28ec848c79d3cf8f1b8c25578f827fe9b:
  the ``adoptionStatus`` values « Draft », « Adopted », « Deprecated » (the specification
  does not list any).
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit

from attrs import frozen

from ep_skills.errors import InvalidValueError, Problem, ReferentialError, Severity
from ep_skills.i18n import _
from ep_skills.referential.model import (
    AssessmentMode,
    Bloc,
    Competency,
    DiplomaKind,
    Epreuve,
    Referential,
    ReferentialStatus,
)

__all__ = [
    "ASSESSED_GROUPING",
    "EXTENSION",
    "ITEM_TYPES",
    "NAMESPACE",
    "ItemType",
    "export_case",
    "import_case",
]

NAMESPACE = uuid.UUID("5e8d9859-e34a-5eeb-b4f2-6bea3b3c5c6d")
"""The namespace of every identifier ep-skills gives (``uuid5(NAMESPACE_URL,
"urn:ep-skills:case")``): fixed for ever, so that identifiers stay stable."""

EXTENSION = "ep-skills"
"""The key of ep-skills's data in the ``extensions`` of the document and of each item."""

CASE_VERSION = "1.1"
LANGUAGE = "fr"
"""The referentials are the official French texts."""


@frozen
class ItemType:
    """A ``CFItemType`` of the package: what kind of item of the referential a CFItem is."""

    title: str
    """The notion as the official texts name it."""
    code: str
    """Its ``hierarchyCode`` and ``typeCode``."""
    description: str


BLOC = ItemType(
    "Bloc de compétences",
    "BC",
    "Ensemble de compétences du référentiel de certification, certifiable en lui-même ; "
    "ses compétences lui sont rattachées par isChildOf.",
)
COMPETENCY = ItemType(
    "Compétence",
    "C",
    "Compétence du référentiel de certification ; ses sous-compétences lui sont rattachées "
    "par isChildOf.",
)
EPREUVE = ItemType(
    "Épreuve",
    "EP",
    "Épreuve du règlement d'examen ; les compétences qu'elle évalue lui sont liées par "
    "isRelatedTo (regroupement « Compétences évaluées par l'épreuve »).",
)
CERTIFICATE = ItemType(
    "Certificat de compétences professionnelles",
    "CCP",
    "Unité d'un titre professionnel, certifiée par un certificat de compétences "
    "professionnelles ; les compétences qu'elle évalue lui sont liées par isRelatedTo.",
)
ITEM_TYPES = (BLOC, COMPETENCY, EPREUVE, CERTIFICATE)

ASSESSED_GROUPING = (
    "Compétences évaluées par l'épreuve",
    "Les associations isRelatedTo de ce regroupement vont d'une épreuve (origine) à une "
    "compétence qu'elle évalue (destination).",
)
"""Title and description of the association grouping of the épreuves' competencies."""

_CREATORS = {
    DiplomaKind.CAP: "Ministère chargé de l'éducation nationale",
    DiplomaKind.BAC_PRO: "Ministère chargé de l'éducation nationale",
    DiplomaKind.BP: "Ministère chargé de l'éducation nationale",
    DiplomaKind.MC: "Ministère chargé de l'éducation nationale",
    DiplomaKind.TITRE_PRO: "Ministère chargé de l'emploi",
}
"""Who promulgates each kind of certification (``creator``, required by CASE)."""
_UNKNOWN_CREATOR = "Certificateur non précisé"

_ADOPTION = {
    ReferentialStatus.IN_FORCE: "Adopted",
    ReferentialStatus.DRAFT: "Draft",
    ReferentialStatus.REPLACED: "Deprecated",
}

_EPREUVE_TYPES = frozenset(t.title.casefold() for t in (EPREUVE, CERTIFICATE))
MAX_DEPTH = 20
"""Levels of items under the document at most: a bloc and 14 levels of competencies fit."""


# -- export -----------------------------------------------------------------------------------


def export_case(
    referential: Referential,
    *,
    creator: str | None = None,
    base_uri: str | None = None,
    changed: datetime | None = None,
) -> dict[str, Any]:
    """The CASE 1.1 ``CFPackage`` of ``referential``, as JSON-ready data.

    The referential is exported as given: a referential from the registry has its fragments'
    blocs merged in, so give it with ``include=()`` (as ``ep-skills exchange case export``
    does), else importing the package would add those blocs twice.

    :param creator: the ``creator`` of the CFDocument (« the entity with authority that
        promulgates the competency framework »); default: the ministry that issues this kind
        of diploma.
    :param base_uri: the base URL of the CASE server that will publish the package
        (``https://…/ims/case/v1p1``); default: ``urn:uuid:`` URIs.
    :param changed: the ``lastChangeDateTime`` of every record; default: the day of the
        latest text (``date`` or ``amended``), so that exporting again gives the same file,
        else now.
    :raises InvalidValueError: an épreuve names a competency that no bloc holds.
    """
    stamp = _stamp(changed or _latest_text(referential))
    context = _Context(referential.id, base_uri, stamp)
    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []
    document = context.link(_document_id(referential.id), "CFDocuments", referential.title)
    links: dict[str, dict[str, str]] = {}
    for b, bloc in enumerate(referential.blocs):
        node = _bloc_item(context, bloc)
        items.append(node)
        associations.append(context.child_of(node, document, b + 1))
        for c, competency in enumerate(bloc.competencies):
            _export_tree(context, competency, node, c + 1, items, associations, links)
    offset = len(referential.blocs)
    for e, epreuve in enumerate(referential.epreuves):
        node = _epreuve_item(context, epreuve)
        items.append(node)
        associations.append(context.child_of(node, document, offset + e + 1))
        for s, code in enumerate(epreuve.competencies):
            if code not in links:
                raise InvalidValueError(
                    _("épreuve {epreuve!r} names competency {code!r}, which no bloc holds").format(
                        epreuve=epreuve.code, code=code
                    ),
                    field="competencies",
                    value=code,
                )
            associations.append(context.assesses(node, epreuve.code, links[code], code, s + 1))
    return {
        "CFDocument": _document(context, referential, creator, document),
        "CFItems": items,
        "CFAssociations": associations,
        "CFDefinitions": {
            "CFItemTypes": [context.item_type(t) for t in ITEM_TYPES],
            "CFAssociationGroupings": [context.grouping()],
        },
    }


class _Context:
    """What every record of one package shares: the diploma, the URIs, the time stamp."""

    def __init__(self, diploma: str, base_uri: str | None, stamp: str) -> None:
        self.diploma = diploma
        self.base = base_uri.rstrip("/") if base_uri else None
        self.stamp = stamp

    def uri(self, collection: str, identifier: str) -> str:
        if self.base is None:
            return f"urn:uuid:{identifier}"
        return f"{self.base}/{collection}/{identifier}"

    def link(self, identifier: str, collection: str, title: str) -> dict[str, str]:
        """A ``LinkGenURI`` / ``LinkURI`` to a record."""
        return {"title": title, "identifier": identifier, "uri": self.uri(collection, identifier)}

    def item(
        self,
        kind: ItemType,
        key: str,
        title: str,
        code: str | None,
        note: str | None,
        extension: dict[str, Any],
    ) -> dict[str, Any]:
        identifier = _uuid(self.diploma, kind.code, key)
        item: dict[str, Any] = {
            "identifier": identifier,
            "uri": self.uri("CFItems", identifier),
            "fullStatement": title,
        }
        if code is not None:
            item["humanCodingScheme"] = code
        item["CFItemType"] = kind.title
        item["CFItemTypeURI"] = self.link(_type_id(kind), "CFItemTypes", kind.title)
        item["language"] = LANGUAGE
        if note is not None:
            item["notes"] = note
        item["lastChangeDateTime"] = self.stamp
        if extension:
            item["extensions"] = {EXTENSION: extension}
        return item

    def _association(
        self,
        kind: str,
        key: list[str],
        origin: dict[str, str],
        destination: dict[str, str],
        sequence: int,
    ) -> dict[str, Any]:
        identifier = _uuid(self.diploma, kind, *key)
        return {
            "identifier": identifier,
            "associationType": kind,
            "sequenceNumber": sequence,
            "uri": self.uri("CFAssociations", identifier),
            "originNodeURI": origin,
            "destinationNodeURI": destination,
            "lastChangeDateTime": self.stamp,
        }

    def child_of(
        self, item: dict[str, Any], parent: dict[str, str], sequence: int
    ) -> dict[str, Any]:
        """``item`` isChildOf ``parent``, at ``sequence`` among its siblings."""
        return self._association(
            "isChildOf", [item["identifier"]], _node(item), dict(parent), sequence
        )

    def assesses(
        self,
        epreuve: dict[str, Any],
        epreuve_code: str,
        competency: dict[str, str],
        code: str,
        sequence: int,
    ) -> dict[str, Any]:
        """The épreuve assesses the competency: isRelatedTo, in the grouping that says so."""
        association = self._association(
            "isRelatedTo", [epreuve_code, code], _node(epreuve), competency, sequence
        )
        title, _description = ASSESSED_GROUPING
        association["CFAssociationGroupingURI"] = self.link(
            _grouping_id(), "CFAssociationGroupings", title
        )
        return association

    def item_type(self, kind: ItemType) -> dict[str, Any]:
        identifier = _type_id(kind)
        return {
            "identifier": identifier,
            "uri": self.uri("CFItemTypes", identifier),
            "title": kind.title,
            "description": kind.description,
            "hierarchyCode": kind.code,
            "typeCode": kind.code,
            "lastChangeDateTime": self.stamp,
        }

    def grouping(self) -> dict[str, Any]:
        identifier = _grouping_id()
        title, description = ASSESSED_GROUPING
        return {
            "identifier": identifier,
            "uri": self.uri("CFAssociationGroupings", identifier),
            "title": title,
            "description": description,
            "lastChangeDateTime": self.stamp,
        }


def _uuid(*key: str) -> str:
    # JSON keeps the parts apart whatever they hold (a code may contain any separator).
    return str(uuid.uuid5(NAMESPACE, json.dumps(list(key), ensure_ascii=False)))


def _document_id(diploma: str) -> str:
    return _uuid(diploma)


def _type_id(kind: ItemType) -> str:
    # Shared by every package: the same notion has the same identifier everywhere.
    return _uuid("CFItemType", kind.title)


def _grouping_id() -> str:
    return _uuid("CFAssociationGrouping", ASSESSED_GROUPING[0])


def _node(item: dict[str, Any]) -> dict[str, str]:
    title = item.get("humanCodingScheme") or item["fullStatement"]
    return {"title": title, "identifier": item["identifier"], "uri": item["uri"]}


def _latest_text(referential: Referential) -> datetime | None:
    days = [d for d in (referential.date, *referential.amended) if d is not None]
    return datetime.combine(max(days), time(), UTC) if days else None


def _stamp(moment: datetime | None) -> str:
    when = moment or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _data(obj: object, native: set[str]) -> dict[str, Any]:
    """The TOML data of ``obj`` as JSON, without the keys CASE fields hold."""
    from ep_skills.referential.codec import unstructure

    data = unstructure(obj)
    return {k: _jsonable(v) for k, v in data.items() if k not in native}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _bloc_item(context: _Context, bloc: Bloc) -> dict[str, Any]:
    extension = _data(bloc, {"title", "rncp_code", "note", "competencies"})
    return context.item(BLOC, bloc.id, bloc.title, bloc.rncp_code, bloc.note, extension)


def _export_tree(
    context: _Context,
    competency: Competency,
    parent: dict[str, Any],
    sequence: int,
    items: list[dict[str, Any]],
    associations: list[dict[str, Any]],
    links: dict[str, dict[str, str]],
) -> None:
    native = {"title", "note", "children"} | (set() if competency.local_code else {"code"})
    extension = _data(competency, native)
    code = None if competency.local_code else competency.code
    node = context.item(
        COMPETENCY, competency.code, competency.title, code, competency.note, extension
    )
    items.append(node)
    links[competency.code] = _node(node)
    associations.append(context.child_of(node, _node(parent), sequence))
    for c, child in enumerate(competency.children):
        _export_tree(context, child, node, c + 1, items, associations, links)


def _epreuve_item(context: _Context, epreuve: Epreuve) -> dict[str, Any]:
    native = {"title", "note", "competencies"} | (set() if epreuve.local_code else {"code"})
    extension = _data(epreuve, native)
    kind = CERTIFICATE if AssessmentMode.CCP in epreuve.modes else EPREUVE
    code = None if epreuve.local_code else epreuve.code
    return context.item(kind, epreuve.code, epreuve.title, code, epreuve.note, extension)


def _document(
    context: _Context, ref: Referential, creator: str | None, link: dict[str, str]
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "identifier": link["identifier"],
        "uri": link["uri"],
        "caseVersion": CASE_VERSION,
        "creator": creator or _CREATORS.get(ref.kind, _UNKNOWN_CREATOR),
        "title": ref.title,
        "lastChangeDateTime": context.stamp,
    }
    url = _official_url(ref)
    if url is not None:
        document["officialSourceURL"] = url
    document["description"] = ref.legal_source
    document["language"] = LANGUAGE
    document["version"] = ref.version
    document["adoptionStatus"] = _ADOPTION[ref.status]
    notes = _notes(ref)
    if notes:
        document["notes"] = notes
    extension = _data(ref, {"title", "version", "legal_source", "blocs", "epreuves"})
    document["extensions"] = {EXTENSION: extension}
    return document


def _is_web_url(text: str | None) -> bool:
    if not text or any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _official_url(ref: Referential) -> str | None:
    """The URL of the text the referential's provenance names, else of its first source."""
    named = [s for s in ref.sources if s.id == ref.provenance.source]
    for source in (*named, *ref.sources):
        if _is_web_url(source.url):
            return source.url
    return None


def _notes(ref: Referential) -> str:
    """The sources and the provenance, for the people who read the package in a CASE tool."""
    lines = []
    if ref.note:
        lines.append(ref.note)
    if ref.sources:
        lines.append("Sources :")
        for source in ref.sources:
            parts = [source.title, source.reference, source.url]
            lines.append("- " + " — ".join(p for p in parts if p))
    status = str(ref.provenance.status)
    origin = f" ({ref.provenance.source})" if ref.provenance.source else ""
    lines.append(f"Provenance : {status}{origin}. Exporté par ep-skills.")
    return "\n".join(lines)


# -- import -----------------------------------------------------------------------------------


def import_case(
    package: Mapping[str, Any], *, diploma_id: str | None = None, name: str = "CASE"
) -> Referential:
    """The referential a CASE 1.1 ``CFPackage`` describes, checked as a referential file is.

    :param diploma_id: the id to give the diploma; default: the one ep-skills exported,
        else one made from the document's title.
    :param name: what messages call the package (its file name).
    :raises InvalidValueError: the package is not one, or the referential it describes does
        not pass :func:`~ep_skills.referential.validate.check_referential`; one message says
        where and what.
    """
    reader = _Reader(name)
    package = reader.mapping(package, "")  # JSON read from a file may be anything
    document = reader.mapping(package.get("CFDocument"), "CFDocument")
    items = reader.items(package)
    tree = reader.tree(package, reader.text(document, "identifier", "CFDocument"), items)
    own = reader.extension(document, "CFDocument")
    data = dict(own) if own is not None else _foreign_document(document, reader)
    data["title"] = reader.text(document, "title", "CFDocument")
    for key, target in (("version", "version"), ("description", "legal_source")):
        if key in document:
            data[target] = reader.text(document, key, "CFDocument")
    if diploma_id is not None:
        data["id"] = diploma_id
    builder = _Builder(reader, items, tree, foreign=own is None)
    data["blocs"], data["epreuves"] = builder.build()
    if not data["blocs"]:
        raise reader.fail("CFItems", _("no competency: the package describes no referential"))
    return _checked(_dated(data), name)


class _Reader:
    """Reads the parts of a package, each wrong value reported once with where it is."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, what: str) -> InvalidValueError:
        return InvalidValueError(
            _("{file}, {where}: {what}").format(file=self.name, where=where or "/", what=what),
            field="package",
            value=where,
        )

    def mapping(self, value: object, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, _("expected a JSON object"))
        return value

    def sequence(self, value: object, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, _("expected a list"))
        return value

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        if key not in data:
            raise self.fail(where, _("missing {key!r}").format(key=key))
        value = data[key]
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", _("expected text"))
        return value

    def optional_text(self, data: Mapping[str, Any], key: str, where: str) -> str | None:
        return self.text(data, key, where) if key in data else None

    def extension(self, data: Mapping[str, Any], where: str) -> Mapping[str, Any] | None:
        extensions = data.get("extensions")
        if extensions is None:
            return None
        own = self.mapping(extensions, f"{where}.extensions").get(EXTENSION)
        if own is None:
            return None
        return self.mapping(own, f"{where}.extensions.{EXTENSION}")

    def items(self, package: Mapping[str, Any]) -> dict[str, tuple[Mapping[str, Any], str]]:
        """The items by identifier, each with where it is in the package."""
        found: dict[str, tuple[Mapping[str, Any], str]] = {}
        for i, raw in enumerate(self.sequence(package.get("CFItems", []), "CFItems")):
            where = f"CFItems[{i}]"
            item = self.mapping(raw, where)
            identifier = self.text(item, "identifier", where)
            self.text(item, "fullStatement", where)
            if identifier in found:
                raise self.fail(
                    where, _("two items have the identifier {id!r}").format(id=identifier)
                )
            found[identifier] = (item, where)
        return found

    def tree(
        self,
        package: Mapping[str, Any],
        root: str,
        items: Mapping[str, tuple[Mapping[str, Any], str]],
    ) -> _Tree:
        """The isChildOf tree and the épreuves' isRelatedTo links, each list in order."""
        children: dict[str, list[tuple[int, int, str]]] = {}
        related: dict[str, list[tuple[int, int, str]]] = {}
        parents: dict[str, str] = {}
        raw = self.sequence(package.get("CFAssociations", []), "CFAssociations")
        for i, value in enumerate(raw):
            where = f"CFAssociations[{i}]"
            association = self.mapping(value, where)
            kind = self.text(association, "associationType", where)
            origin = self._end(association, "originNodeURI", where)
            destination = self._end(association, "destinationNodeURI", where)
            order = self._sequence_number(association, where)
            if kind == "isChildOf":
                if origin not in items:
                    raise self.fail(
                        f"{where}.originNodeURI",
                        _("{id!r} is not an item of the package").format(id=origin),
                    )
                if destination != root and destination not in items:
                    raise self.fail(
                        f"{where}.destinationNodeURI",
                        _("{id!r} is not an item of the package").format(id=destination),
                    )
                if origin in parents:
                    raise self.fail(
                        where, _("item {id!r} has two parents (isChildOf)").format(id=origin)
                    )
                parents[origin] = destination
                children.setdefault(destination, []).append((order, i, origin))
            elif kind == "isRelatedTo" and origin in items and destination in items:
                related.setdefault(origin, []).append((order, i, destination))
        return _Tree(
            root,
            {k: [c for *_o, c in sorted(v)] for k, v in children.items()},
            {k: [c for *_o, c in sorted(v)] for k, v in related.items()},
        )

    def _end(self, association: Mapping[str, Any], key: str, where: str) -> str:
        if key not in association:
            raise self.fail(where, _("missing {key!r}").format(key=key))
        link = self.mapping(association[key], f"{where}.{key}")
        return self.text(link, "identifier", f"{where}.{key}")

    def _sequence_number(self, association: Mapping[str, Any], where: str) -> int:
        value = association.get("sequenceNumber")
        if value is None:
            return 2**63  # unordered ones after the ordered ones, in the package's order
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{where}.sequenceNumber", _("expected a whole number"))
        return value


@frozen
class _Tree:
    root: str
    children: dict[str, list[str]]
    """Item identifiers under each identifier (the document's, or an item's), in order."""
    related: dict[str, list[str]]
    """Identifiers of the items each item isRelatedTo, in order."""


class _Builder:
    """Turns the items of the tree into the TOML data of blocs and épreuves."""

    def __init__(
        self,
        reader: _Reader,
        items: Mapping[str, tuple[Mapping[str, Any], str]],
        tree: _Tree,
        *,
        foreign: bool,
    ) -> None:
        self.reader = reader
        self.items = items
        self.tree = tree
        self.foreign = foreign
        self.codes: dict[str, str] = {}
        """The code each competency got, by identifier."""
        self.placed: set[str] = set()
        self.bloc_ids: set[object] = set()
        self.taken = {
            code
            for item, where in items.values()
            if (code := reader.optional_text(item, "humanCodingScheme", where)) is not None
        }

    def build(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        blocs, epreuves = [], []
        for identifier in self.tree.children.get(self.tree.root, []):
            self.placed.add(identifier)
            if self._is_epreuve(identifier):
                epreuves.append(identifier)
            else:
                blocs.append(self._bloc(identifier))
        built = [self._epreuve(identifier) for identifier in epreuves]
        for identifier, (item, where) in self.items.items():
            if identifier not in self.placed:
                label = item.get("humanCodingScheme") or identifier
                raise self.reader.fail(
                    where,
                    _("item {id!r} is not under the CFDocument (no isChildOf chain)").format(
                        id=label
                    ),
                )
        return blocs, built

    def _is_epreuve(self, identifier: str) -> bool:
        item, where = self.items[identifier]
        kind = self.reader.optional_text(item, "CFItemType", where)
        return kind is not None and unicodedata.normalize("NFC", kind).casefold() in _EPREUVE_TYPES

    def _base(self, identifier: str) -> tuple[dict[str, Any], Mapping[str, Any], str]:
        item, where = self.items[identifier]
        own = self.reader.extension(item, where)
        data = dict(own) if own is not None else {}
        data["title"] = self.reader.text(item, "fullStatement", where)
        note = self.reader.optional_text(item, "notes", where)
        if note is not None:
            data["note"] = note
        return data, item, where

    def _local(self, prefix: str, data: dict[str, Any], what: str) -> None:
        """Give ``data`` an ep-skills code when the package gives it none."""
        if isinstance(data.get("code"), str) and data.get("local_code"):
            return  # exported by ep-skills: its own id comes back
        data["code"] = self._fresh(prefix)
        data["local_code"] = True
        data.setdefault(
            "note",
            f"The {what} has no humanCodingScheme in the CASE package: "
            "the code is an ep-skills id.",
        )

    def _fresh(self, prefix: str) -> str:
        n = 1
        while f"{prefix}{n}" in self.taken:
            n += 1
        self.taken.add(f"{prefix}{n}")
        return f"{prefix}{n}"

    def _coded(self, data: dict[str, Any], item: Mapping[str, Any], where: str) -> str | None:
        code = self.reader.optional_text(item, "humanCodingScheme", where)
        if code is not None:
            data["code"] = code
            data.pop("local_code", None)
        return code

    def _bloc(self, identifier: str) -> dict[str, Any]:
        data, item, where = self._base(identifier)
        code = self.reader.optional_text(item, "humanCodingScheme", where)
        if code is not None:
            data["rncp_code"] = code
        if not isinstance(data.get("id"), str):
            # Two blocs may share an RNCP code (a fiche's code, not the bloc's identity).
            fresh = code is None or code in self.bloc_ids
            data["id"] = self._fresh("B") if fresh else code
        self.bloc_ids.add(data["id"])
        data["competencies"] = self._competencies(identifier, 2)
        return data

    def _competencies(self, parent: str, depth: int) -> list[dict[str, Any]]:
        found = []
        for identifier in self.tree.children.get(parent, []):
            item, where = self.items[identifier]
            if depth > MAX_DEPTH:
                raise self.reader.fail(
                    where, _("nested too deeply (more than {limit} levels)").format(limit=MAX_DEPTH)
                )
            self.placed.add(identifier)
            data, item, where = self._base(identifier)
            if self._coded(data, item, where) is None:
                self._local("C", data, "competency")
            self.codes[identifier] = data["code"]
            data["children"] = self._competencies(identifier, depth + 1)
            found.append(data)
        return found

    def _epreuve(self, identifier: str) -> dict[str, Any]:
        data, item, where = self._base(identifier)
        if self.tree.children.get(identifier):
            raise self.reader.fail(where, _("an épreuve cannot hold other items (isChildOf)"))
        if self._coded(data, item, where) is None:
            self._local("E", data, "épreuve")
        data["competencies"] = [
            self.codes[target]
            for target in self.tree.related.get(identifier, [])
            if target in self.codes
        ]
        kind = self.reader.optional_text(item, "CFItemType", where) or ""
        if kind.casefold() == CERTIFICATE.title.casefold():
            data.setdefault("modes", [str(AssessmentMode.CCP)])
        certificate = str(AssessmentMode.CCP) in data.get("modes", [])
        if self.foreign and "coefficient" not in data and not certificate:
            # The règlement d'examen's coefficient is not in CASE: a draft until it is known.
            data.setdefault(
                "provenance",
                {"status": "draft", "source": "case", "note": "No coefficient in the package."},
            )
        return data


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60].strip("-")


def _foreign_document(document: Mapping[str, Any], reader: _Reader) -> dict[str, Any]:
    """What a package from another tool says of its diploma: a draft to check."""
    title = reader.text(document, "title", "CFDocument")
    identifier = reader.text(document, "identifier", "CFDocument")
    url = reader.optional_text(document, "officialSourceURL", "CFDocument")
    uri = reader.optional_text(document, "uri", "CFDocument")
    web = url if _is_web_url(url) else uri if _is_web_url(uri) else None
    source: dict[str, Any] = {
        "id": "case",
        "title": title or identifier,
        "reference": f"CASE CFDocument {identifier}",
    }
    if web is not None:
        source["url"] = web
    data: dict[str, Any] = {
        "id": _slug(title) or f"case-{_slug(identifier)[:8] or 'import'}",
        "kind": str(DiplomaKind.OTHER),
        "level": 0,
        "version": "",
        "legal_source": title,
        "status": str(ReferentialStatus.DRAFT),
        "provenance": {
            "status": "secondary",
            "source": "case",
            "note": "Imported from a CASE 1.1 package: to check against the official text.",
        },
        "sources": [source],
    }
    notes = reader.optional_text(document, "notes", "CFDocument")
    if notes:
        data["note"] = notes
    return data


def _dated(data: dict[str, Any]) -> dict[str, Any]:
    """The referential's dates, written as ISO text in JSON, back as days for the codec."""

    def day(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                return value  # the codec says it is not a date, and where
        return value

    if "date" in data:
        data["date"] = day(data["date"])
    if isinstance(data.get("amended"), list):
        data["amended"] = [day(v) for v in data["amended"]]
    if isinstance(data.get("rncp"), list):
        data["rncp"] = [
            {k: day(v) if k in ("valid_from", "valid_until") else v for k, v in r.items()}
            if isinstance(r, dict)
            else r
            for r in data["rncp"]
        ]
    return data


def _checked(data: dict[str, Any], name: str) -> Referential:
    from ep_skills.referential.codec import structure_document
    from ep_skills.referential.validate import check_referential

    try:
        referential = structure_document(data, Referential, file=name)
    except ReferentialError as exc:
        raise _one(exc.problems, name) from None
    errors = [p for p in check_referential(referential) if p.severity is Severity.ERROR]
    if errors:
        raise _one(errors, name)
    return referential


def _one(found: Sequence[Problem], name: str) -> InvalidValueError:
    first = found[0]
    more = len(found) - 1
    message = _("{file}: the referential it describes is not valid: {where}: {what}").format(
        file=name, where=first.path or "/", what=first.message
    )
    if more:
        message += " " + _("(and {n} more problems)").format(n=more)
    return InvalidValueError(message, field="package", value=first.path)
