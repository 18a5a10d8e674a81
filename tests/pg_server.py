"""A real PostgreSQL with pgvector for the tests, from the pgserver wheel's binaries.

It listens on 127.0.0.1 only (a free port), with password authentication over TCP so
that a wrong password is refused as on any server. pgserver's own `get_server` listens on
a Unix socket only, hence initdb and pg_ctl are run here directly. PostgreSQL refuses to
run as root, so under root the server runs as a system user `pgserver` (the user
pgserver itself creates in that case), from a copy of the binaries it can reach.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

SYSTEM_USER = "pgserver"


def postgres_bin() -> Path:
    """pgserver's bundled binaries, found without importing the package (its import
    does work: it looks up runtime folders and warns)."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pgserver is not installed: run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PgServer:
    data: Path
    port: int
    password: str
    run_as: str | None
    binaries: Path

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        secret = self.password if password is None else password
        return f"postgresql://postgres:{secret}@127.0.0.1:{self.port}/{database}"

    @property
    def pid(self) -> int:
        """The postmaster's process id (first line of postmaster.pid)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        self._pg_ctl("stop")

    def restart(self) -> None:
        """Stop and start the server (its shared buffers emptied), waiting for it."""
        self._pg_ctl("restart")

    def _pg_ctl(self, action: str) -> None:
        _run(self.run_as, [str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                           "-w", action])  # fmt: skip


def _run(user: str | None, command: list[str]) -> None:
    # Its own group too: with root's, the group bits of root's folders would apply to it.
    ids = {} if user is None else {"user": user, "group": pwd.getpwnam(user).pw_gid,
                                   "extra_groups": []}  # fmt: skip
    done = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120,
        **ids,  # type: ignore[arg-type]
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def _as_postgres_user(folder: Path) -> str | None:
    """Under root: a system user to run PostgreSQL, able to reach `folder`."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             SYSTEM_USER],
            check=True,
        )  # fmt: skip
    # pytest's temporary folders are private to root: let the server user walk in.
    for parent in [folder, *folder.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)
    entry = pwd.getpwnam(SYSTEM_USER)
    os.chown(folder, entry.pw_uid, entry.pw_gid)
    return SYSTEM_USER


def start_server(folder: Path, settings: dict[str, str] | None = None) -> PgServer:
    """initdb in `folder` and start PostgreSQL on a free 127.0.0.1 port; `settings`
    override the server's (the benchmark gives it more memory than the tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    run_as = _as_postgres_user(folder)
    data = folder / "data"
    password = secrets.token_hex(12)
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        os.chown(pwfile, entry.pw_uid, entry.pw_gid)
    binaries = postgres_bin()
    if run_as is not None:
        # The server user may not reach the virtualenv (a clone under /root): a copy of
        # the install (27 MB without its headers) in the server's own folder.
        # The wheel's layout is kept: the binaries find their libraries at
        # $ORIGIN/../../../pgserver.libs.
        package = binaries.parent.parent
        copy = folder / "site" / package.name / "pginstall"
        shutil.copytree(binaries.parent, copy, ignore=shutil.ignore_patterns("include"))
        libs = package.parent / f"{package.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, folder / "site" / libs.name)
        for path in [folder / "site", *(folder / "site").rglob("*")]:
            path.chmod(path.stat().st_mode | 0o005)
        binaries = copy / "bin"
    _run(run_as, [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
                  "--auth-host=scram-sha-256", "--auth-local=trust", f"--pwfile={pwfile}",
                  "--no-sync"])  # fmt: skip
    pwfile.unlink()
    port = _free_port()
    chosen = {"fsync": "off", "shared_buffers": "64MB", **(settings or {})}
    options = f"-h 127.0.0.1 -p {port} -k {folder} " + " ".join(
        f"-c {name}={value}" for name, value in chosen.items()
    )
    _run(run_as, [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                  str(folder / "log"), "-w", "start"])  # fmt: skip
    return PgServer(data, port, password, run_as, binaries)
