"""Open Badges 3.0: one signed credential per acquired bloc, valid against 1EdTech's official
schema, verifiable offline, naming the trainee by no name in clear."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft201909Validator

from ep_skills.api import Journal, open_journal
from ep_skills.cli import cli
from ep_skills.errors import EpSkillsError, InvalidValueError
from ep_skills.exchange.badges import (
    CONTEXTS,
    IssuedBadge,
    IssuerKey,
    acquired_blocs,
    case_item_id,
    generate_key,
    issue_bloc_badges,
    load_key,
    load_schema,
    trainee_ref,
    verify,
)

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SCHOOL = "https://ep-saint-exemple.example"
SCHEMA_PATH = (
    Path(__file__).parents[1] / "src/ep_skills/data/ob_v3p0_achievementcredential_schema.json"
)
# The days and orders of three records: the default coverage rule (three assessments on two
# orders over at least four weeks) is met for every competency they assess.
DAYS = ((date(2026, 9, 7), "C-1"), (date(2026, 9, 28), "C-2"), (date(2026, 10, 19), "C-1"))


def _leaves(competency: Any) -> list[str]:
    if not competency.children:
        return [competency.code]
    return [code for child in competency.children for code in _leaves(child)]


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = open_journal(tmp_path / "j.db", create=True, today=TODAY)
    j.add_trainee("Léa Martin", diploma="cap-psr", cohort="2026", start_date=date(2026, 9, 1))
    j.add_trainee("Noah Petit", diploma="cap-psr", cohort="2026", start_date=date(2026, 9, 1))
    j.add_order("C-1", customer="Cantine", title="Repas")
    j.add_order("C-2", customer="Mairie", title="Buffet")
    bloc = j.diploma("cap-psr").referential.blocs[0]
    codes = [code for top in bloc.competencies for code in _leaves(top)]
    for n, (day, order) in enumerate(DAYS):
        # Noah shares the first record only: his name must appear in none of her badges.
        team = ["Léa Martin", "Noah Petit"] if n == 0 else ["Léa Martin"]
        j.record(
            team,
            description="service du midi",
            order=order,
            day=day,
            levels=dict.fromkeys(codes, "VV"),
            assessor="Jean Maître",
        )
    yield j
    j.close()


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return load_schema(SCHEMA_PATH)


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> IssuerKey:
    return generate_key(tmp_path_factory.mktemp("key") / "ecole.jwk")


def _issue(journal: Journal, key: IssuerKey, who: str = "Léa Martin") -> list[IssuedBadge]:
    return issue_bloc_badges(
        journal, who, key=key, issuer_name="EP de Saint-Exemple", issuer_url=SCHOOL, now=NOW
    )


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


def test_one_badge_per_acquired_bloc_and_it_verifies(
    journal: Journal, key: IssuerKey, schema: dict[str, Any]
) -> None:
    assert [b.id for b in acquired_blocs(journal, "Léa Martin")] == ["B1"]
    (badge,) = _issue(journal, key)
    assert badge.bloc == "B1"
    credential = verify(badge.token, key.public_jwk, schema=schema, now=NOW)
    assert credential == badge.credential
    assert credential["@context"] == list(CONTEXTS)
    assert credential["validFrom"] == "2026-11-20T09:30:00Z"
    # The JWT claims of OB 3.0's VC-JWT: the credential's own ids, and nbf = validFrom.
    claims = _payload(badge.token)
    assert claims["iss"] == SCHOOL and claims["jti"] == credential["id"]
    assert claims["sub"] == credential["credentialSubject"]["id"]
    assert claims["nbf"] == int(NOW.timestamp())
    header = json.loads(base64.urlsafe_b64decode(badge.token.split(".")[0] + "=="))
    assert header == {"alg": "EdDSA", "typ": "JWT", "jwk": key.public_jwk}
    assert "d" not in header["jwk"]


def test_the_credential_is_valid_against_the_official_schema(
    journal: Journal, key: IssuerKey, schema: dict[str, Any]
) -> None:
    (badge,) = _issue(journal, key)
    validator = Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(badge.credential)) == []
    # The schema is not vacuous: without validFrom, or with a wrong context, it refuses.
    broken = {k: v for k, v in badge.credential.items() if k != "validFrom"}
    assert list(validator.iter_errors(broken))
    wrong = {**badge.credential, "@context": ["https://www.w3.org/2018/credentials/v1"]}
    assert list(validator.iter_errors(wrong))


def test_no_acquired_bloc_no_badge(journal: Journal, key: IssuerKey) -> None:
    assert acquired_blocs(journal, "Noah Petit") == []
    assert _issue(journal, key, "Noah Petit") == []


def test_the_trainee_is_named_by_no_name_in_clear(journal: Journal, key: IssuerKey) -> None:
    (badge,) = _issue(journal, key)
    text = json.dumps(_payload(badge.token), ensure_ascii=False)
    for name in ("Léa", "Martin", "Noah", "Petit"):
        assert name not in text
    lea = journal.trainee("Léa Martin")
    subject = badge.credential["credentialSubject"]
    assert subject["id"] == f"urn:uuid:{trainee_ref(SCHOOL, lea.id)}"
    (identity,) = subject["identifier"]
    salted = ("Léa Martin" + identity["salt"]).encode()
    assert identity["identityHash"] == "sha256$" + hashlib.sha256(salted).hexdigest()
    assert identity["hashed"] is True and identity["identityType"] == "name"
    # A salt of its own each time: two badges cannot be linked by their hashes.
    (again,) = _issue(journal, key)
    assert again.credential["credentialSubject"]["identifier"][0]["salt"] != identity["salt"]
    assert again.credential["id"] == badge.credential["id"]  # the same credential, reissued
    without = issue_bloc_badges(
        journal, lea, key=key, issuer_name="EP", issuer_url=SCHOOL, hashed_name=False
    )
    assert "identifier" not in without[0].credential["credentialSubject"]


def test_alignment_and_evidence(journal: Journal, key: IssuerKey) -> None:
    from ep_skills.exchange.case import export_case

    (badge,) = _issue(journal, key)
    achievement = badge.credential["credentialSubject"]["achievement"]
    (alignment,) = achievement["alignment"]
    assert alignment["targetType"] == "CFItem" and alignment["targetCode"] == "B1"
    # The same identifier as the bloc's CFItem in the CASE package of the diploma.
    package = export_case(journal.diploma("cap-psr").referential)
    (item,) = [
        i
        for i in package["CFItems"]
        if i["CFItemType"] == "Bloc de compétences"
        and i["fullStatement"] == alignment["targetName"]
    ]
    assert (
        alignment["targetUrl"]
        == item["uri"]
        == f"urn:uuid:{case_item_id('cap-psr', 'B1', bloc=True)}"
    )
    # The three records she did, by day; Noah appears in none.
    evidence = badge.credential["evidence"]
    assert [e["name"].rsplit(" ", 1)[1] for e in evidence] == [d.isoformat() for d, _o in DAYS]
    assert "ordre de fabrication C-2" in [e["description"] for e in evidence]
    assert "Noah" not in json.dumps(evidence, ensure_ascii=False)


def test_a_byte_changed_fails(journal: Journal, key: IssuerKey, schema: dict[str, Any]) -> None:
    (badge,) = _issue(journal, key)
    head, _body, signature = badge.token.split(".")
    claims = _payload(badge.token)
    claims["credentialSubject"]["achievement"]["name"] = "Service en restauration"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidValueError, match="signature"):
        verify(f"{head}.{forged}.{signature}", key.public_jwk, schema=schema, now=NOW)
    other = IssuerKey(load_key_material())
    with pytest.raises(InvalidValueError, match="signature"):
        verify(badge.token, other.public_jwk, schema=schema, now=NOW)


def load_key_material() -> dict[str, str]:
    from joserfc.jwk import OKPKey

    return {k: str(v) for k, v in OKPKey.generate_key("Ed25519").as_dict(private=True).items()}


# Any character changed, but the last of each segment, whose low bits base64url may not use.
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_character_changed_fails(
    journal: Journal, key: IssuerKey, schema: dict[str, Any], data: st.DataObject
) -> None:
    token = _issue(journal, key)[0].token
    ends = {i - 1 for i, c in enumerate(token) if c == "."} | {len(token) - 1}
    dots = {i for i, c in enumerate(token) if c == "."}
    index = data.draw(st.integers(0, len(token) - 1).filter(lambda i: i not in ends | dots))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    new = data.draw(st.sampled_from(alphabet).filter(lambda c: c != token[index]))
    changed = token[:index] + new + token[index + 1 :]
    with pytest.raises(InvalidValueError):
        verify(changed, key.public_jwk, schema=schema, now=NOW)


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")  # joserfc; see badges.py
def test_the_claims_must_match_the_credential(
    journal: Journal, key: IssuerKey, schema: dict[str, Any]
) -> None:
    from joserfc import jwt
    from joserfc.jwk import OKPKey

    (badge,) = _issue(journal, key)
    claims = {**_payload(badge.token), "sub": "urn:uuid:someone-else"}
    signed = jwt.encode(
        {"alg": "EdDSA", "typ": "JWT"},
        claims,
        OKPKey.import_key(dict(key.jwk)),
        algorithms=["EdDSA"],
    )
    with pytest.raises(InvalidValueError, match="sub"):
        verify(signed, key.public_jwk, schema=schema, now=NOW)
    # Not valid before validFrom.
    with pytest.raises(InvalidValueError, match="not valid before"):
        verify(badge.token, key.public_jwk, schema=schema, now=datetime(2026, 1, 1, tzinfo=UTC))
    # Signed, matching, but not an OpenBadgeCredential: the schema says so.
    claims = {**_payload(badge.token), "type": ["VerifiableCredential"]}
    signed = jwt.encode(
        {"alg": "EdDSA", "typ": "JWT"},
        claims,
        OKPKey.import_key(dict(key.jwk)),
        algorithms=["EdDSA"],
    )
    with pytest.raises(InvalidValueError, match="type"):
        verify(signed, key.public_jwk, schema=schema, now=NOW)


def test_the_key_file(tmp_path: Path) -> None:
    path = tmp_path / "ecole.jwk"
    key = generate_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_key(path) == key
    assert json.loads(path.read_text())["d"] == key.jwk["d"]
    with pytest.raises(EpSkillsError, match="already exists"):
        generate_key(path)  # never replaced: badges issued with it would no longer verify
    assert load_key(path) == key
    public = tmp_path / "public.jwk"
    public.write_text(json.dumps(key.public_jwk))
    with pytest.raises(InvalidValueError, match="public key only"):
        load_key(public)
    bad = tmp_path / "bad.jwk"
    bad.write_text("{not json")
    with pytest.raises(InvalidValueError, match=r"bad\.jwk"):
        load_key(bad)
    with pytest.raises(InvalidValueError, match=r"missing\.jwk"):
        load_key(tmp_path / "missing.jwk")
    # Halves that do not match (a public part from another key), or a private part that is
    # not a key: refused before any badge is signed with it, as it would never verify.
    other = generate_key(tmp_path / "autre.jwk")
    mixed = tmp_path / "mixed.jwk"
    mixed.write_text(json.dumps({**key.jwk, "x": other.jwk["x"]}))
    with pytest.raises(InvalidValueError, match=r"mixed\.jwk"):
        load_key(mixed)
    short = tmp_path / "short.jwk"
    short.write_text(json.dumps({**key.jwk, "d": key.jwk["d"][:20]}))
    with pytest.raises(InvalidValueError, match=r"short\.jwk"):
        load_key(short)


@pytest.mark.sqlite_only  # the command line on the file
def test_the_commands(journal: Journal, tmp_path: Path) -> None:
    journal.close()
    runner = CliRunner()
    base = ["--db", str(tmp_path / "j.db"), "exchange", "badges"]
    key_path, public = tmp_path / "ecole.jwk", tmp_path / "ecole.public.jwk"
    made = runner.invoke(cli, [*base, "key", str(key_path), "--public", str(public)])
    assert made.exit_code == 0, made.output
    assert "d" not in json.loads(public.read_text())
    again = runner.invoke(cli, [*base, "key", str(key_path)])
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert "never replaced" in again.output and "--force" not in again.output
    out = tmp_path / "badges" / "2026"  # made when missing
    issue = [*base, "issue", "Léa Martin", "--key", str(key_path), "--out", str(out)]
    issued = runner.invoke(cli, [*issue, "--issuer-url", SCHOOL, "--issuer-name", "EP"])
    assert issued.exit_code == 0, issued.output
    (file,) = out.iterdir()
    assert file.name == "lea-martin-b1.jwt" and file.stat().st_mode & 0o077 == 0
    checked = runner.invoke(
        cli, [*base, "verify", str(file), "--public-key", str(public), "--schema", str(SCHEMA_PATH)]
    )
    assert checked.exit_code == 0, checked.output
    assert "Production alimentaire" in checked.output
    nothing = runner.invoke(
        cli,
        [
            *base,
            "issue",
            "Noah Petit",
            "--key",
            str(key_path),
            "--out",
            str(out),
            "--issuer-url",
            SCHOOL,
            "--issuer-name",
            "EP",
        ],
    )
    assert nothing.exit_code == 0 and "no bloc" in nothing.output
    # A file changed: one message, exit code 1.
    file.write_text(file.read_text().replace(".", ".x", 1))
    bad = runner.invoke(
        cli, [*base, "verify", str(file), "--public-key", str(public), "--schema", str(SCHEMA_PATH)]
    )
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert str(file) in bad.output and len(bad.output.strip().splitlines()) == 1
    # Not a key file: one message.
    wrong = runner.invoke(cli, [*issue, "--issuer-url", SCHOOL, "--key", str(file)])
    assert wrong.exit_code == 1 and "JWK" in wrong.output
