"""Open Badges 3.0 credentials for the blocs de compétences a trainee has acquired.

One ``OpenBadgeCredential`` (1EdTech Open Badges 3.0, a W3C Verifiable Credential) per bloc
whose competencies the engine counts all acquired, signed by the school as a VC-JWT with its
own Ed25519 key, and checked again offline by :func:`verify` (signature, claims, and the
official JSON schema).

Where each format detail was read:

- The credential's fields, the JSON-LD contexts (``https://www.w3.org/ns/credentials/v2``
  then ``https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json``) and the
  ``credentialSchema`` entry: 1EdTech/openbadges-specification, ``ob_v3p0/docformat.md``
  (commit 1af145ff2dc6e22627e79eb5d0f9afca06ea2489); the CASE alignment
  (``targetType`` ``CFItem``, ``targetUrl`` the item's URI): ``ob_v3p0/examples/
  achievementAlignmentCase.html`` there; the item's identifier and URI are the ones
  :mod:`ep_skills.exchange.case` gives the bloc's CFItem (:func:`case_item_id`).
- The VC-JWT proof — JOSE header ``alg``/``jwk``/``typ`` only, the JWT payload being the
  credential itself with the claims ``iss`` = issuer.id, ``jti`` = id, ``nbf`` = validFrom,
  ``sub`` = credentialSubject.id (and ``exp`` = validUntil), and the verifier's checks of those
  claims: ``ob_v3p0/integrity.md`` §"JSON Web Token Proof Format" there. The file holding a
  VC-JWT is the compact JWS alone, extension ``.jwt`` (``docformat.md``, "File Format").
- The official JSON schema of the credential,
  https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json
  (JSON Schema 2019-09): as downloaded and committed by educredentials/obv3-examples,
  ``schemas/ob_v3p0_achievementcredential_schema.json`` (commit
  9c3ed67c2e635d1d3777c7e9191bd72428af0393), vendored in
  src/ep_skills/data/ (shipped: verify needs it). It asks for ``validFrom`` (VC Data
  Model 2.0), not the
  ``issuanceDate`` of VC 1.1, and an ``IdentityObject`` of ``type``, ``hashed``,
  ``identityHash`` (``sha256$`` + hex of the identifier followed by its salt) and
  ``identityType``.

**The trainee's identity.** Trainees are mostly minors. The credential names them by an opaque
``urn:uuid:`` (:func:`trainee_ref`: the school's address and the journal's number, nothing
of their name), and — so that they can prove the badge is theirs, showing an identity card —
by an ``IdentityObject`` of type ``name`` whose value is hashed (SHA-256) with a random salt
drawn for each credential: the name is never written in clear, and two credentials of the same
trainee cannot be linked by their hashes. Whoever already knows the exact name can confirm it
(that is the purpose); ``hashed_name=False`` leaves even that out.

**Algorithm.** OB 3.0 requires verifiers to support RS256 and permits others; the school's
key is Ed25519 (``alg`` ``EdDSA``, RFC 8037), short and without parameters to get wrong.
RFC 9864 has since registered ``Ed25519`` as the fully-specified name; ``EdDSA`` is kept
because it is the one wallets and verifiers of OB 3.0 know today.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
import warnings
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from ep_skills.errors import EpSkillsError, InvalidValueError
from ep_skills.i18n import _

if TYPE_CHECKING:
    from ep_skills.api import Journal
    from ep_skills.journal.model import Assessment, Trainee
    from ep_skills.referential.model import Bloc, Competency, Referential

__all__ = [
    "CONTEXTS",
    "NAMESPACE",
    "SCHEMA_URL",
    "IssuedBadge",
    "IssuerKey",
    "acquired_blocs",
    "case_item_id",
    "generate_key",
    "issue_bloc_badges",
    "load_key",
    "load_public_key",
    "load_schema",
    "trainee_ref",
    "verify",
]

CONTEXTS = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)
"""The JSON-LD contexts of an OpenBadgeCredential, in the order the specification gives."""
SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
SCHEMA_FILE = "ob_v3p0_achievementcredential_schema.json"
ALGORITHM = "EdDSA"

NAMESPACE = uuid.UUID("6d979688-9b0f-52dc-a737-78732b60e20b")
"""The namespace of ep-skills' name-based UUIDs: ``uuid5(NAMESPACE_URL, "urn:ep-skills")``."""

_JWT_CLAIMS = ("iss", "jti", "nbf", "sub", "exp")


def case_item_id(diploma_id: str, code: str, *, bloc: bool = False) -> uuid.UUID:
    """The CASE ``CFItem`` identifier of a competency (or, with ``bloc``, of a bloc) of a
    diploma, as :func:`ep_skills.exchange.case.export_case` gives it: ``uuid5`` of its
    namespace and the JSON list [diploma, item type code, key]. Stable across exports and
    schools, so that a badge's alignment and an xAPI activity name the package's item."""
    from ep_skills.exchange.case import BLOC, COMPETENCY
    from ep_skills.exchange.case import NAMESPACE as CASE_NAMESPACE

    kind = BLOC if bloc else COMPETENCY
    key = json.dumps([diploma_id, kind.code, code], ensure_ascii=False)
    return uuid.uuid5(CASE_NAMESPACE, key)


def trainee_ref(home: str, trainee_id: int) -> uuid.UUID:
    """An opaque, stable id of a trainee of the school at ``home``: no part of their name."""
    return uuid.uuid5(NAMESPACE, f"{home}/trainee/{trainee_id}")


# -- the school's key --------------------------------------------------------------------------


@frozen
class IssuerKey:
    """The school's signing key (« clé de l'établissement »): an Ed25519 JWK."""

    jwk: Mapping[str, str]
    """The private JWK (``kty`` OKP, ``crv`` Ed25519, ``x``, ``d``): never shared."""

    @property
    def public_jwk(self) -> dict[str, str]:
        """The public JWK, to publish and to verify with (never ``d``)."""
        return {"kty": "OKP", "crv": "Ed25519", "x": self.jwk["x"]}


def generate_key(path: str | Path) -> IssuerKey:
    """Create the school's Ed25519 key and keep it as a JWK file at ``path``, readable by its
    owner only. An existing file is never replaced: a new key would make every badge issued
    with the old one unverifiable against the published public key."""
    from joserfc.jwk import OKPKey

    from ep_skills.outputs import replacing

    made = OKPKey.generate_key("Ed25519")
    jwk = {str(k): str(v) for k, v in made.as_dict(private=True).items()}
    with replacing(path, force=False, private=True) as scratch:
        scratch.write_text(json.dumps(jwk, indent=2) + "\n", encoding="utf-8")
    return IssuerKey(jwk)


def _read_jwk(path: str | Path) -> dict[str, Any]:
    from ep_skills.importing import read_bytes

    try:
        raw = read_bytes(path, 1024 * 1024)  # missing, a folder, a pipe: said plainly
    except EpSkillsError as exc:
        raise InvalidValueError(str(exc), field="key", value=str(path)) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InvalidValueError(
            _("{file} is not a JSON Web Key (JWK) file").format(file=path),
            field="key",
            value=str(path),
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("kty") != "OKP"
        or data.get("crv") != "Ed25519"
        or not isinstance(data.get("x"), str)
    ):
        raise InvalidValueError(
            _("{file} is not an Ed25519 key (JWK with kty OKP, crv Ed25519)").format(file=path),
            field="key",
            value=str(path),
        )
    return data


def load_key(path: str | Path) -> IssuerKey:
    """The school's private key from its JWK file.

    :raises InvalidValueError: the file is missing, not JSON, not an Ed25519 key, or holds
        only a public key.
    """
    data = _read_jwk(path)
    if not isinstance(data.get("d"), str):
        raise InvalidValueError(
            _("{file} holds a public key only: give the school's private key file").format(
                file=path
            ),
            field="key",
            value=str(path),
        )
    key = IssuerKey({k: str(v) for k, v in data.items()})
    # The private part must be a real Ed25519 key, and the public part in the file its own:
    # a key whose two halves do not match signs badges that never verify.
    if _public_of(str(data["d"])) != data["x"]:
        raise InvalidValueError(
            _("{file} is not an Ed25519 key (JWK with kty OKP, crv Ed25519)").format(file=path),
            field="key",
            value=str(path),
        )
    return key


def _public_of(private: str) -> str | None:
    """The public half (``x``) an Ed25519 private half (``d``) makes, or None if ``d`` is not
    one."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    try:
        raw = base64.urlsafe_b64decode(private + "=" * (-len(private) % 4))
        public = Ed25519PrivateKey.from_private_bytes(raw).public_key()
    except ValueError:
        return None
    made = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(made).rstrip(b"=").decode()


def load_public_key(path: str | Path) -> dict[str, str]:
    """A public Ed25519 JWK from a file (a private key file gives its public part)."""
    return {"kty": "OKP", "crv": "Ed25519", "x": str(_read_jwk(path)["x"])}


# -- which blocs, on which evidence ------------------------------------------------------------


def _leaves(competency: Competency) -> Iterator[Competency]:
    if not competency.children:
        yield competency
    for child in competency.children:
        yield from _leaves(child)


def acquired_blocs(journal: Journal, trainee: str | int | Trainee) -> list[Bloc]:
    """The blocs of the trainee's diploma (and option) whose competencies are all acquired,
    as the engine counts them (:class:`ep_skills.engine.rollup.BlocProgress`); a bloc with no
    competency is never one."""
    person = journal.trainee(trainee)
    progress = journal.progress(person)
    done = {b.id for b in progress.blocs if b.total > 0 and b.acquired == b.total}
    referential = journal.diploma(person.diploma).referential.for_option(person.option)
    return [bloc for bloc in referential.blocs if bloc.id in done]


@frozen
class IssuedBadge:
    """One signed credential for one bloc."""

    bloc: str
    credential: dict[str, Any]
    """The OpenBadgeCredential as signed (the JWT payload without its JWT claims)."""
    token: str
    """The compact JWS (VC-JWT): what the trainee's file holds."""


def _timestamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _identity(name: str) -> dict[str, Any]:
    salt = secrets.token_hex(16)
    digest = hashlib.sha256((name + salt).encode("utf-8")).hexdigest()
    return {
        "type": "IdentityObject",
        "hashed": True,
        "identityHash": f"sha256${digest}",
        "identityType": "name",
        "salt": salt,
    }


def _evidence(home: str, rows: list[Assessment]) -> list[dict[str, Any]]:
    """One entry per task record the bloc rests on: its day, order and levels — no names."""
    by_record: dict[int, list[Assessment]] = {}
    for row in rows:
        by_record.setdefault(row.record, []).append(row)
    entries = []
    for record, found in sorted(by_record.items(), key=lambda item: (item[1][0].day, item[0])):
        first = found[0]
        what = f"ordre de fabrication {first.order}" if first.order else first.task or "tâche"
        entries.append(
            {
                "id": f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{home}/record/{record}')}",
                "type": ["Evidence"],
                "name": f"Enregistrement n° {record} du {first.day.isoformat()}",
                "description": what,
                "narrative": "\n".join(
                    f"- {row.competency} : {row.level}"
                    for row in sorted(found, key=lambda r: r.competency)
                ),
            }
        )
    return entries


def _achievement(referential: Referential, bloc: Bloc, case_uri: str | None) -> dict[str, Any]:
    item = case_item_id(referential.id, bloc.id, bloc=True)
    listed = "\n".join(f"- {c.code} {c.title}" for top in bloc.competencies for c in _leaves(top))
    return {
        "id": f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{referential.id}/{bloc.id}/achievement')}",
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": bloc.title,
        "description": f"Bloc de compétences {bloc.id} — {referential.kind} {referential.title}",
        "criteria": {
            "narrative": "Toutes les compétences du bloc acquises sur des preuves réparties "
            "dans le temps, sur des commandes réelles :\n" + listed
        },
        "humanCode": bloc.rncp_code or bloc.id,
        "inLanguage": "fr",
        "alignment": [
            {
                "type": ["Alignment"],
                "targetType": "CFItem",
                "targetCode": bloc.id,
                "targetFramework": f"{referential.kind} {referential.title}",
                "targetName": bloc.title,
                "targetUrl": (
                    f"{case_uri.rstrip('/')}/CFItems/{item}" if case_uri else f"urn:uuid:{item}"
                ),
            }
        ],
    }


def issue_bloc_badges(
    journal: Journal,
    trainee: str | int | Trainee,
    *,
    key: IssuerKey,
    issuer_name: str,
    issuer_url: str,
    hashed_name: bool = True,
    case_uri: str | None = None,
    now: datetime | None = None,
) -> list[IssuedBadge]:
    """One signed OpenBadgeCredential per acquired bloc of the trainee (none when no bloc is).

    :param issuer_url: the school's address: the issuer profile's id and url, and the base of
        the opaque ids (the same as the xAPI export's home page).
    :param hashed_name: add the trainee's name hashed with a salt (see the module's text).
    :param case_uri: the base URL of the CASE server that publishes the diploma's package
        (``export_case``'s ``base_uri``), if one does: the alignment points to
        ``…/CFItems/{identifier}``; by default to the item's ``urn:uuid:``.
    :param now: the issuance time (``validFrom``), by default now.
    """
    person = journal.trainee(trainee)
    blocs = acquired_blocs(journal, person)
    if not blocs:
        return []
    referential = journal.diploma(person.diploma).referential
    when = _timestamp(now or datetime.now(UTC))
    subject = f"urn:uuid:{trainee_ref(issuer_url, person.id)}"
    issuer = {"id": issuer_url, "type": ["Profile"], "name": issuer_name, "url": issuer_url}
    from ep_skills.journal.model import Role, effective_assessments

    rows = journal.evidence_by_competency(person)
    issued = []
    for bloc in blocs:
        codes = [c.code for top in bloc.competencies for c in _leaves(top)]
        used = [
            row
            for code in codes
            for row in effective_assessments(rows.get(code, []))
            if row.role != Role.AUTO
        ]
        credential: dict[str, Any] = {
            "@context": list(CONTEXTS),
            "id": f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{subject}/{referential.id}/{bloc.id}')}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": bloc.title,
            "issuer": issuer,
            "validFrom": when,
            "credentialSubject": {
                "id": subject,
                "type": ["AchievementSubject"],
                "achievement": _achievement(referential, bloc, case_uri),
                **({"identifier": [_identity(person.name)]} if hashed_name else {}),
            },
            "evidence": _evidence(issuer_url, used),
            "credentialSchema": [{"id": SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}],
        }
        issued.append(IssuedBadge(bloc.id, credential, _sign(credential, key)))
    return issued


# -- VC-JWT ------------------------------------------------------------------------------------


def _numeric_date(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())


def _sign(credential: Mapping[str, Any], key: IssuerKey) -> str:
    from joserfc import jwt
    from joserfc.jwk import OKPKey

    claims = {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "nbf": _numeric_date(credential["validFrom"]),
        "sub": credential["credentialSubject"]["id"],
    }
    header = {"alg": ALGORITHM, "typ": "JWT", "jwk": key.public_jwk}
    with warnings.catch_warnings():
        # joserfc flags "EdDSA" as superseded by RFC 9864's "Ed25519" (see the module's text).
        warnings.simplefilter("ignore")
        return jwt.encode(header, claims, OKPKey.import_key(dict(key.jwk)), algorithms=[ALGORITHM])


def load_schema(path: str | Path | None = None) -> dict[str, Any]:
    """The official OB 3.0 AchievementCredential schema: from ``path``, else as installed
    with ep-skills (``ep_skills/data/``).

    :raises InvalidValueError: not found or not JSON.
    """
    if path is None:
        from importlib.resources import files

        found = files("ep_skills") / "data" / SCHEMA_FILE
        if not found.is_file():
            raise InvalidValueError(
                _(
                    "the Open Badges 3.0 schema ({file}) is not installed: give it with --schema"
                ).format(file=SCHEMA_FILE),
                field="schema",
            )
        text = found.read_text(encoding="utf-8")
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidValueError(
                _("cannot read the schema {file}: {reason}").format(
                    file=path, reason=exc.strerror or exc
                ),
                field="schema",
                value=str(path),
            ) from None
    try:
        schema = json.loads(text)
    except ValueError:
        raise InvalidValueError(
            _("{file} is not a JSON schema").format(file=path or SCHEMA_FILE), field="schema"
        ) from None
    if not isinstance(schema, dict):
        raise InvalidValueError(
            _("{file} is not a JSON schema").format(file=path or SCHEMA_FILE), field="schema"
        )
    return schema


def _invalid(reason: str) -> InvalidValueError:
    return InvalidValueError(
        _("the credential does not verify: {reason}").format(reason=reason), field="credential"
    )


def _payload(token: str) -> dict[str, Any]:
    """The JWT payload, read without checking anything (to say what is wrong with it)."""
    try:
        part = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        raise _invalid(_("not a compact JWS (header.payload.signature)")) from None
    if not isinstance(data, dict):
        raise _invalid(_("its payload is not a JSON object"))
    return data


def verify(
    token: str,
    public_jwk: Mapping[str, str],
    *,
    schema: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Check a VC-JWT offline: the signature with the school's public key, the JWT claims
    against the credential (OB 3.0 "Verify a Credential VC-JWT Signature"), then the
    credential against the official schema. Returns the credential (the JWT claims left out).

    :param schema: the official schema (:func:`load_schema` by default).
    :raises InvalidValueError: one message saying what does not hold.
    """
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import OKPKey

    token = token.strip()
    _payload(token)  # a malformed token gets its own message
    try:
        key = OKPKey.import_key(dict(public_jwk))
    except (JoseError, ValueError, TypeError):
        raise _invalid(_("the public key is not an Ed25519 JWK")) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            decoded = jwt.decode(token, key, algorithms=[ALGORITHM])
    except (JoseError, ValueError):
        raise _invalid(_("the signature does not match the school's public key")) from None
    header = decoded.header
    if header.get("jwk") is not None and dict(header["jwk"]).get("x") != public_jwk.get("x"):
        raise _invalid(_("it was signed with another key than the one given"))
    claims = dict(decoded.claims)
    credential = {k: v for k, v in claims.items() if k not in _JWT_CLAIMS}
    _check_claims(claims, credential, now or datetime.now(UTC))
    _check_schema(credential, load_schema() if schema is None else schema)
    return credential


def _check_claims(claims: Mapping[str, Any], credential: Mapping[str, Any], now: datetime) -> None:
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, dict) else None
    pairs = (("iss", issuer_id, "issuer.id"), ("sub", subject_id, "credentialSubject.id"))
    for claim, expected, name in (*pairs, ("jti", credential.get("id"), "id")):
        if claims.get(claim) is None or claims.get(claim) != expected:
            raise _invalid(
                _("the claim {claim} does not match {name}").format(claim=claim, name=name)
            )
    valid_from = credential.get("validFrom")
    try:
        start = _numeric_date(str(valid_from))
    except ValueError:
        raise _invalid(_("validFrom is not a date and time")) from None
    if claims.get("nbf") != start:
        raise _invalid(
            _("the claim {claim} does not match {name}").format(claim="nbf", name="validFrom")
        )
    if start > now.timestamp():
        raise _invalid(_("it is not valid before {when}").format(when=valid_from))
    if "exp" in claims and isinstance(claims["exp"], int) and claims["exp"] < now.timestamp():
        raise _invalid(_("it has expired"))


def _check_schema(credential: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
    from jsonschema import Draft201909Validator  # type: ignore[import-untyped]
    from jsonschema.exceptions import best_match  # type: ignore[import-untyped]

    validator = Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)
    error = best_match(validator.iter_errors(credential))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "/"
        raise _invalid(
            _("{where}: {message} (Open Badges 3.0 schema)").format(
                where=where, message=error.message
            )
        )
