#!/usr/bin/env python3
"""One entry point for a fresh clone: `python3 dev.py demo`, `test`, `wheels` and `screenshots`.

Needs only Python 3.11+ and the package registry. It creates `.venv`, installs uv in it, and
lets uv install the project, its diploma plugins and the test tools exactly as `uv.lock` pins
them. Then:

    demo   build a demo workshop in ep-skills-demo.db and show its progress
    test   lint (ruff), type-check (mypy) and run the whole test suite (pytest), on SQLite
           and on a throwaway PostgreSQL server started for the run (docs/network.md)
    setup  only install
    wheels [DIR]  build the core and every diploma plugin as wheels into DIR (default: dist/),
                  to install them without the repository (docs/plugins/tutorial.md, section 1)
    screenshots   remake the bench page's pictures, docs/img/web-*.png, in a headless
                  Chromium (the system's: apt-get install chromium)
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
DEMO_DB = ROOT / "ep-skills-demo.db"
DIST = ROOT / "dist"


def run(*args: str | os.PathLike[str], check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check).returncode


def _need_python() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit("ep-skills needs Python 3.11 or newer")


def setup() -> None:
    _need_python()
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    # --inexact keeps uv itself in the environment it installs into;
    # --all-packages: the core and every diploma plugin of the workspace (plugins/*).
    run(
        _uv(),
        "sync",
        "--locked",
        "--all-packages",
        "--inexact",
        "--quiet",
        "--python",
        str(BIN / "python"),
    )


def wheels(out: Path = DIST) -> list[Path]:
    """Build the core and every workspace plugin into ``out``; return the wheels.

    Each wheel is built from its sdist, which holds the real files of the package's symlinks
    (the shared fragments, the plugins' referentials); the wheels are checked to hold them.
    Earlier wheels and sdists of these distributions in ``out`` are removed first, so that it
    holds one version of each (other files, such as a school's own plugin, are left alone).
    """
    _need_python()
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    names = _distributions()
    for name in names:
        for old in (*out.glob(f"{name}-*.whl"), *out.glob(f"{name}-*.tar.gz")):
            old.unlink()
    if not (BIN / "python").exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    if run(_uv(), "build", "--all-packages", "--quiet", "--out-dir", out, check=False):
        sys.exit("the wheels were not built: see uv's message above")
    built = [wheel for name in names for wheel in sorted(out.glob(f"{name}-*.whl"))]
    _check_symlinked_files(built)
    return built


def _distributions() -> list[str]:
    """The workspace's distributions (the core, then plugins/*), as wheel file names spell them."""
    import tomllib  # here, after _need_python(): Python 3.11+

    projects = [ROOT / "pyproject.toml", *sorted(ROOT.glob("plugins/*/pyproject.toml"))]
    names = [tomllib.loads(p.read_text(encoding="utf-8"))["project"]["name"] for p in projects]
    return [re.sub(r"[-_.]+", "_", name).lower() for name in names]


def _check_symlinked_files(built: list[Path]) -> None:
    """Every symlink of a package (src/ or plugins/*/src/) is a real file, the same, in a wheel."""
    archives = [zipfile.ZipFile(wheel) for wheel in built]
    try:
        members = {name: archive for archive in archives for name in archive.namelist()}
        for source in (ROOT / "src", *sorted(ROOT.glob("plugins/*/src"))):
            for link in sorted(source.rglob("*")):
                if not link.is_symlink():
                    continue
                name = link.relative_to(source).as_posix()
                if not link.is_file():
                    sys.exit(f"{link} points to no file: {link.readlink()}")
                held = members[name].read(name) if name in members else None
                if held != link.read_bytes():
                    sys.exit(f"{name} is missing from the wheels or differs from {link.resolve()}")
    finally:
        for archive in archives:
            archive.close()


def _uv() -> str:
    """uv from the environment, else from the PATH, else installed into the environment."""
    if (BIN / "uv").exists():
        return str(BIN / "uv")
    found = shutil.which("uv")
    if found:
        return found
    # An environment made by uv itself has no pip: bootstrap it first.
    check = [str(BIN / "python"), "-m", "pip", "--version"]
    if subprocess.run(check, capture_output=True, check=False).returncode:
        run(BIN / "python", "-m", "ensurepip", "--upgrade")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "uv")
    return str(BIN / "uv")


def demo() -> int:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_DB}{suffix}").unlink(missing_ok=True)
    return run(BIN / "ep-skills", "--db", DEMO_DB, "demo", check=False)


def test(extra: list[str]) -> int:
    code = [p for p in ("src", "tests", "plugins", "benchmarks", "dev.py") if (ROOT / p).exists()]
    steps: list[list[str | Path]] = [
        [BIN / "ruff", "check", *code],
        [BIN / "ruff", "format", "--check", *code],
        [BIN / "mypy"],
    ]
    for step in steps:
        failed = run(*step, check=False)
        if failed:
            return failed
    if not any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in extra):
        # One test worker per core (pytest-xdist): the suite, on both backends, in about
        # half the time on CI's two cores. ``-n 0`` runs it in this process.
        extra = ["-n", "auto", *extra]
    with postgres_server() as url:
        # The whole suite runs on both backends: every test that opens a journal is run once
        # on SQLite and once on this server (tests/conftest.py).
        env = {"EP_SKILLS_TEST_POSTGRESQL": url} if url else {}
        print("+", " ".join(f"{k}={v}" for k, v in env.items()), BIN / "pytest", *extra)
        return subprocess.run(
            [str(BIN / "pytest"), *extra], cwd=ROOT, env={**os.environ, **env}, check=False
        ).returncode


SCREENSHOTS_TEST = "tests/test_web_browser.py::test_screenshots"


def screenshots() -> int:
    """The bench page's screenshots, written to docs/img/web-*.png by their test."""
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        print(
            "no chromium on the PATH: the screenshots need one "
            "(Debian/Ubuntu: apt-get install chromium)",
            file=sys.stderr,
        )
        return 1
    command = [str(BIN / "pytest"), SCREENSHOTS_TEST, "-q", "-p", "no:randomly"]
    print("+ EP_SKILLS_SCREENSHOTS=1", " ".join(command), flush=True)
    env = {**os.environ, "EP_SKILLS_SCREENSHOTS": "1"}
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def _postgres_bin() -> Path | None:
    """The newest PostgreSQL server installed (Debian keeps each version apart)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextlib.contextmanager
def postgres_server() -> Iterator[str | None]:
    """A throwaway PostgreSQL cluster on a free local port, stopped and removed at the end.

    Not the system's service: its own data folder, its own socket folder, listening on the
    loopback only, trusted local connections (nothing else can reach it), fsync off (the data
    is thrown away). As root, the cluster runs as the ``postgres`` user (PostgreSQL refuses
    root). Yields the URL of its superuser, or None when no server is installed (then only
    SQLite is tested, and the suite says so; in CI that is a failure).
    """
    bindir = _postgres_bin()
    if os.environ.get("EP_SKILLS_TEST_POSTGRESQL"):
        yield os.environ["EP_SKILLS_TEST_POSTGRESQL"]
        return
    if bindir is None:
        print(
            "PostgreSQL is not installed: the tests run on SQLite only "
            "(Debian: apt-get install postgresql)",
            file=sys.stderr,
        )
        yield None
        return
    base = Path(tempfile.mkdtemp(prefix="ep-skills-pg-"))
    data, sockets = base / "data", base / "run"
    sockets.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    def quiet(*command: str | Path) -> None:
        subprocess.run([*as_user, *command], stdout=subprocess.DEVNULL, check=True)

    quiet(
        bindir / "initdb",
        "-D",
        data,
        "-U",
        "ep_admin",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    )
    options = (
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    quiet(bindir / "pg_ctl", "-D", data, "-l", base / "server.log", "-o", options, "-w", "start")
    try:
        quiet(
            bindir / "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "ep_admin",
            "ep_skills_test",
        )
        print(f"PostgreSQL {bindir.parent.name} started on port {port} for the tests", flush=True)
        yield f"postgresql://ep_admin@127.0.0.1:{port}/ep_skills_test"
    finally:
        subprocess.run(
            [*as_user, bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
            stdout=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    if command not in ("demo", "test", "setup", "wheels", "screenshots"):
        print(__doc__)
        return 0 if command in ("help", "-h", "--help") else 2
    if command == "wheels":  # needs uv only, not the installed project
        for wheel in wheels(Path(argv[1]) if len(argv) > 1 else DIST):
            print(wheel)
        return 0
    setup()
    if command == "demo":
        return demo()
    if command == "test":
        return test(argv[1:])
    if command == "screenshots":
        return screenshots()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
