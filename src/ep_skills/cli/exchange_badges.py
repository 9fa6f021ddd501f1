"""``ep-skills exchange badges``: the school's signing key, Open Badges 3.0 credentials for the
blocs a trainee has acquired, and their verification (:mod:`ep_skills.exchange.badges`)."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import click

from ep_skills.cli.app import AppContext, pass_app
from ep_skills.i18n import _

__all__ = ["badges"]


@click.group("badges")
def badges() -> None:
    """Open Badges 3.0: a signed credential for each bloc de compétences a trainee has
    acquired, for their wallet or their CV."""


@badges.command("key")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--public",
    "public_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the public key (JWK) to this file, to publish (default: print it).",
)
def badges_key(path: str, public_path: str | None) -> None:
    """Create the school's signing key at PATH (a JWK file readable by its owner only; an
    existing file is never replaced). Keep it safe: whoever holds it can issue badges in the
    school's name."""
    from ep_skills.errors import AlreadyExistsError
    from ep_skills.exchange.badges import generate_key
    from ep_skills.outputs import check_target, replacing

    for target in (path, public_path):
        if target is not None and Path(target).exists():
            # Never replaced, not even with a --force: a new key would make every badge
            # issued with the old one fail against the published public key.
            raise AlreadyExistsError(
                _("{path} already exists: a key is never replaced; choose another name").format(
                    path=target
                ),
                field="path",
            )
    if public_path is not None:
        check_target(public_path)  # before the key is made, not after
    key = generate_key(path)
    text = json.dumps(key.public_jwk, indent=2) + "\n"
    if public_path is None:
        click.echo(text, nl=False)
    else:
        with replacing(public_path, private=False) as scratch:
            scratch.write_text(text, encoding="utf-8")
    click.echo(_("The school's key written: {path} (keep it private).").format(path=path))


def _slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower() or "jeune"


@badges.command("issue")
@click.argument("name")
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False),
    required=True,
    help="The school's private key file (made by: badges key).",
)
@click.option(
    "--out",
    "folder",
    type=click.Path(file_okay=False),
    required=True,
    help="The folder to write the badges in (one .jwt file per bloc).",
)
@click.option(
    "--issuer-url",
    required=True,
    help="The school's web address (https://…): the issuer of the badges.",
)
@click.option(
    "--issuer-name",
    default=None,
    help="The school's name as the badges show it (default: the name given to init).",
)
@click.option(
    "--no-name-hash",
    is_flag=True,
    default=False,
    help="Leave out the trainee's hashed name (the badge then names no one).",
)
@click.option("--force", is_flag=True, default=False, help="Replace existing badge files.")
@pass_app
def badges_issue(
    app: AppContext,
    name: str,
    key_path: str,
    folder: str,
    issuer_url: str,
    issuer_name: str | None,
    no_name_hash: bool,
    force: bool,
) -> None:
    """A signed Open Badges 3.0 credential (VC-JWT) for each bloc NAME has acquired."""
    from ep_skills.errors import InvalidValueError
    from ep_skills.exchange.badges import issue_bloc_badges, load_key
    from ep_skills.outputs import check_target, replacing

    key = load_key(key_path)
    with app.journal() as journal:
        person = journal.trainee(name)
        school = issuer_name or journal.storage.get_meta("school")
        if not school:
            raise InvalidValueError(
                _("the journal has no school name: give --issuer-name"), field="issuer_name"
            )
        if not issuer_url.startswith(("https://", "http://")):
            raise InvalidValueError(
                _("--issuer-url must be a web address (https://…), not {value!r}").format(
                    value=issuer_url
                ),
                field="issuer_url",
                value=issuer_url,
            )
        issued = issue_bloc_badges(
            journal,
            person,
            key=key,
            issuer_name=school,
            issuer_url=issuer_url.rstrip("/"),
            hashed_name=not no_name_hash,
        )
    if not issued:
        click.echo(_("{name} has no bloc acquired yet: no badge.").format(name=person.name))
        return
    targets = [Path(folder) / f"{_slug(person.name)}-{_slug(b.bloc)}.jwt" for b in issued]
    try:
        Path(folder).mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise InvalidValueError(
            _("cannot create the folder {folder}: {reason}").format(
                folder=folder, reason=exc.strerror or exc
            ),
            field="out",
        ) from None
    for target in targets:  # every file checked before the first is written
        check_target(target, force=force)
    for badge, target in zip(issued, targets, strict=True):
        with replacing(target, force=force) as scratch:
            scratch.write_text(badge.token + "\n", encoding="utf-8")
        click.echo(
            _("Badge of bloc {bloc} for {name}: {path}").format(
                bloc=badge.bloc, name=person.name, path=target
            )
        )


@badges.command("verify")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(dir_okay=False),
    required=True,
    help="The issuing school's public key (JWK file).",
)
@click.option(
    "--schema",
    "schema_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="The Open Badges 3.0 JSON schema file (default: the one installed).",
)
def badges_verify(path: str, public_key: str, schema_path: str | None) -> None:
    """Check a badge file offline: the school's signature, and the Open Badges 3.0 schema."""
    from ep_skills.errors import InvalidValueError
    from ep_skills.exchange.badges import load_public_key, load_schema, verify
    from ep_skills.importing import read_bytes

    try:
        token = read_bytes(path, 1024 * 1024).decode("utf-8")  # missing, a folder: said plainly
    except UnicodeDecodeError:
        raise InvalidValueError(
            _("{file} is not a badge: a badge is a text file (a JSON Web Token)").format(file=path),
            field="badge",
            value=path,
        ) from None
    jwk = load_public_key(public_key)
    schema = load_schema(schema_path)
    try:
        credential = verify(token, jwk, schema=schema)
    except InvalidValueError as exc:
        raise InvalidValueError(
            _("{file}: {reason}").format(file=path, reason=exc), field="badge", value=path
        ) from None
    achievement = credential["credentialSubject"]["achievement"]
    issuer = credential["issuer"]
    click.echo(
        _("{file}: valid — « {title} », issued by {issuer} on {when}.").format(
            file=path,
            title=achievement.get("name", "?"),
            issuer=issuer.get("name", issuer.get("id")) if isinstance(issuer, dict) else issuer,
            when=_day(credential.get("validFrom")),
        )
    )


def _day(moment: object) -> str:
    """The day of an ISO date and time, as the user's language writes days."""
    from datetime import datetime

    from ep_skills.i18n import format_day

    try:
        return format_day(datetime.fromisoformat(str(moment).replace("Z", "+00:00")).date())
    except ValueError:
        return str(moment)
