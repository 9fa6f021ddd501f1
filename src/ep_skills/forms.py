"""Every result as JSON-ready data, and the JSON Schema of those forms, both from the code.

:func:`to_dict` turns a result — a :class:`~ep_skills.engine.rollup.Progress`, an
:class:`~ep_skills.engine.explain.Explanation`, a :class:`~ep_skills.views.Gap`, a
:class:`~ep_skills.journal.model.Trainee`… — into dicts, lists, strings, numbers, booleans and
None only, ready for ``json.dumps``. The rules, for any attrs class:

- every field, under its name; dates and datetimes as ISO 8601 text; an enum as its value;
  tuples, lists and sets as lists; mappings as objects with text keys;
- a class may add read-only properties to its form (``__form_properties__``, e.g. ``share``
  and ``ready``), or give a different object as its form (a ``to_form()`` method: an
  explanation gives its rows and state, not the referential it was computed from);
- a referential or a catalogue task met inside a result is given by reference
  (:data:`REFERENCES`: ``{"id", "version"}``, ``{"id", "title"}``), never dumped whole.

:func:`json_schema` describes the same forms from the classes' type hints (JSON Schema draft
2020-12); ``python -m ep_skills.docgen`` writes one file per documented form (:data:`FORMS`)
to ``docs/schema/``, and the test suite fails when those files differ from the code.

cattrs is imported on the first conversion only, so that the command line starts fast.
"""

from __future__ import annotations

import enum
import functools
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence, Set
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "DIALECT",
    "FORMS",
    "REFERENCES",
    "field_docs",
    "form_class",
    "json_schema",
    "schema_text",
    "to_dict",
    "to_json",
]

DIALECT = "https://json-schema.org/draft/2020-12/schema"

FORMS: dict[str, str] = {
    "progress": "ep_skills.engine.rollup:Progress",
    "competency-state": "ep_skills.engine.compute:CompetencyState",
    "explanation": "ep_skills.engine.explain:Explanation",
    "gap": "ep_skills.views:Gap",
    "trainee": "ep_skills.journal.model:Trainee",
    "trainee-change": "ep_skills.journal.model:TraineeChange",
    "order": "ep_skills.journal.model:Order",
    "task-record": "ep_skills.journal.model:TaskRecord",
    "assessment": "ep_skills.journal.model:Assessment",
    "import-batch": "ep_skills.journal.model:ImportBatch",
}
"""The documented forms: the name of their schema file in ``docs/schema/`` → their class."""

REFERENCES: dict[str, tuple[str, ...]] = {
    "ep_skills.referential.model.Referential": ("id", "version"),
    "ep_skills.referential.model.CatalogueTask": ("id", "title"),
}
"""Classes given by reference inside a form (their full content is the referential's): class
→ the fields kept. Their schema is named after the class, with ``Ref`` appended."""


# -- the forms ----------------------------------------------------------------------------------


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _reference(tp: object) -> tuple[str, ...] | None:
    return REFERENCES.get(_qualified(tp)) if isinstance(tp, type) else None


def _has_form(tp: object) -> bool:
    return isinstance(tp, type) and callable(getattr(tp, "to_form", None))


def _properties(cls: type) -> tuple[str, ...]:
    names: tuple[str, ...] = getattr(cls, "__form_properties__", ())
    return names


def _origin(tp: object) -> object:
    return typing.get_origin(tp) or tp


def _is_mapping(tp: object) -> bool:
    origin = _origin(tp)
    return isinstance(origin, type) and issubclass(origin, Mapping)


def _is_array(tp: object) -> bool:
    origin = _origin(tp)
    return (
        isinstance(origin, type)
        and issubclass(origin, Sequence | Set)
        and not issubclass(origin, str | bytes)
    )


def _is_enum(tp: object) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


@functools.cache
def _converter() -> cattrs.Converter:
    import cattrs
    from cattrs.gen import make_dict_unstructure_fn

    converter = cattrs.Converter()
    unstructure = converter.unstructure

    def attrs_hook(cls: type) -> Callable[[Any], dict[str, Any]]:
        fields: Callable[[Any], dict[str, Any]] = make_dict_unstructure_fn(cls, converter)
        extra = _properties(cls)
        if not extra:
            return fields

        def hook(obj: Any) -> dict[str, Any]:
            data = fields(obj)
            for name in extra:
                data[name] = unstructure(getattr(obj, name))
            return data

        return hook

    def text(value: str) -> Any:
        # A str-based enum would pass as text unchanged: give its value, a plain str.
        if type(value) is str:
            return value
        return unstructure(value.value) if isinstance(value, enum.Enum) else str(value)

    def reference(obj: Any) -> dict[str, Any]:
        return {name: unstructure(getattr(obj, name)) for name in REFERENCES[_qualified(type(obj))]}

    converter.register_unstructure_hook_factory(attrs.has, attrs_hook)
    converter.register_unstructure_hook(str, text)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_unstructure_hook_func(_is_enum, lambda value: unstructure(value.value))
    converter.register_unstructure_hook_func(
        _is_array, lambda items: [unstructure(item) for item in items]
    )
    converter.register_unstructure_hook_func(
        _is_mapping,
        lambda mapping: {str(unstructure(k)): unstructure(v) for k, v in mapping.items()},
    )
    converter.register_unstructure_hook_func(lambda tp: _reference(tp) is not None, reference)
    converter.register_unstructure_hook_func(_has_form, lambda obj: unstructure(obj.to_form()))
    return converter


def to_dict(obj: object) -> dict[str, Any]:
    """``obj`` — any result or journal object — as JSON-ready data (see the module's rules)."""
    data = _converter().unstructure(obj)
    if not isinstance(data, dict):
        raise TypeError(f"{type(obj).__name__} has no dict form; use to_json for any value")
    return data


def to_json(obj: object, *, indent: int | None = None) -> str:
    """``obj`` — a result, or a list of them — as JSON text (non-ASCII characters kept)."""
    data = _converter().unstructure(obj)
    return json.dumps(data, ensure_ascii=False, indent=indent, allow_nan=False)


# -- the schema ---------------------------------------------------------------------------------


@functools.cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstrings written under each field of a class, whitespace folded ({} if no source)."""
    import ast
    import inspect

    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    tree = ast.parse(inspect.cleandoc("\n" + source) if source.startswith(" ") else source)
    body = tree.body[0].body  # type: ignore[attr-defined]
    found = {}
    for node, following in zip(body, [*body[1:], None], strict=True):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[node.target.id] = " ".join(following.value.value.split())
    return found


def _class_doc(obj: object) -> str | None:
    # A class's own docstring only: inspect.getdoc would give a base class's (even object's).
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else getattr(obj, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return None
    import inspect

    return " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())


def form_class(cls: type) -> type:
    """The class whose fields make ``cls``'s form: the return type of its ``to_form()``, if any."""
    if _has_form(cls):
        returned = typing.get_type_hints(cls.to_form)["return"]  # type: ignore[attr-defined]
        if not isinstance(returned, type):
            raise TypeError(f"{cls.__name__}.to_form must return one attrs class")
        return returned
    return cls


class _Schemas:
    """Builds the schema of a type, collecting the object definitions it refers to."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        self.owners: dict[str, type] = {}

    def of(self, tp: Any) -> dict[str, Any]:
        if tp is Any:
            return {}
        if tp is None or tp is type(None):
            return {"type": "null"}
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Literal:
            return {"const": args[0]} if len(args) == 1 else {"enum": list(args)}
        if origin in (typing.Union, types.UnionType):
            return self._union([self.of(arg) for arg in args])
        if isinstance(tp, type) and origin is None:
            return self._class(tp)
        if _is_mapping(tp):
            return {"type": "object", "additionalProperties": self.of(args[1]) if args else {}}
        if _is_array(tp):
            if origin is tuple and args and args[-1] is not Ellipsis:
                return {
                    "type": "array",
                    "prefixItems": [self.of(arg) for arg in args],
                    "items": False,
                    "minItems": len(args),
                }
            return {"type": "array", "items": self.of(args[0]) if args else {}}
        raise TypeError(f"no JSON form for the type {tp!r}")

    @staticmethod
    def _union(members: list[dict[str, Any]]) -> dict[str, Any]:
        if all(set(member) == {"type"} for member in members):
            kinds: list[Any] = []
            for member in members:
                kind = member["type"]
                kinds += kind if isinstance(kind, list) else [kind]
            return {"type": kinds[0] if len(kinds) == 1 else kinds}
        return {"anyOf": members}

    def _class(self, cls: type) -> dict[str, Any]:
        if cls is bool:
            return {"type": "boolean"}
        if cls is int:
            return {"type": "integer"}
        if cls is float:
            return {"type": "number"}
        if cls is str:
            return {"type": "string"}
        if issubclass(cls, datetime):
            return {"type": "string", "format": "date-time"}
        if issubclass(cls, date):
            return {"type": "string", "format": "date"}
        if issubclass(cls, enum.Enum):
            values = [member.value for member in cls]
            schema: dict[str, Any] = {"enum": values}
            if all(isinstance(v, str) for v in values):
                schema = {"type": "string", "enum": values}
            return schema
        if _has_form(cls):
            return self._class(form_class(cls))
        kept = _reference(cls)
        if kept is not None:
            return self._object(cls, f"{cls.__name__}Ref", kept, reference=True)
        if attrs.has(cls):
            names = tuple(f.name for f in attrs.fields(cls)) + _properties(cls)
            return self._object(cls, cls.__name__, names)
        if _is_mapping(cls):
            return {"type": "object"}
        if _is_array(cls):
            return {"type": "array"}
        raise TypeError(f"no JSON form for the class {cls.__qualname__}")

    def _object(
        self, cls: type, name: str, names: tuple[str, ...], *, reference: bool = False
    ) -> dict[str, Any]:
        owner = self.owners.setdefault(name, cls)
        if owner is not cls:
            raise TypeError(f"two classes named {name}: {_qualified(owner)}, {_qualified(cls)}")
        ref = {"$ref": f"#/$defs/{name}"}
        if name in self.defs:
            return ref
        self.defs[name] = {}  # a recursive class refers to itself while being described
        hints = typing.get_type_hints(cls)
        docs = field_docs(cls)
        properties: dict[str, Any] = {}
        for field in names:
            if field in hints:
                schema = self.of(hints[field])
                doc = docs.get(field)
            else:
                prop = getattr(cls, field)
                schema = self.of(typing.get_type_hints(prop.fget)["return"])
                doc = _class_doc(prop)
            properties[field] = {**schema, "description": doc} if doc else schema
        definition: dict[str, Any] = {"type": "object"}
        description = _class_doc(cls)
        if reference:
            kept = ", ".join(names)
            description = f"{description} Given by reference: {kept}." if description else None
        if description:
            definition["description"] = description
        definition |= {
            "properties": properties,
            "required": list(properties),
            "additionalProperties": False,
        }
        self.defs[name] = definition
        return ref


def json_schema(tp: Any, *, title: str | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the form of ``tp``: an attrs class, or a type such
    as ``list[Gap]``. Every key of an object is required: a form always has all its keys,
    ``null`` when there is no value."""
    schemas = _Schemas()
    root = schemas.of(tp)
    name = title or (tp.__name__ if isinstance(tp, type) else str(tp))
    result: dict[str, Any] = {"$schema": DIALECT, "title": name}
    description = _class_doc(tp) if isinstance(tp, type) else None
    if description:
        result["description"] = description
    result |= root
    if schemas.defs:
        result["$defs"] = dict(sorted(schemas.defs.items()))
    return result


def _load(path: str) -> type:
    import importlib

    module, _sep, name = path.partition(":")
    cls: type = getattr(importlib.import_module(module), name)
    return cls


def schema_text(name: str) -> str:
    """The schema file of the documented form ``name`` (:data:`FORMS`), as written in
    ``docs/schema/<name>.json``."""
    schema = json_schema(_load(FORMS[name]))
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
