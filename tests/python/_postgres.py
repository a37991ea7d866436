"""A private PostgreSQL server for the tests: Debian's PostgreSQL 15 binaries
(`initdb`, `pg_ctl`) on a free loopback port, its data directory in a temp dir.

initdb refuses to run as root; as root, the server runs as the `postgres` user
(or `nobody`), which owns the data directory. Trust authentication on the Unix
socket for set-up, password authentication on TCP for the tests.

Run as a program (tools/pg-local does), it starts a server, runs a command with
SLUICE_TEST_PG_URI set to the server's URI and SLUICE_ADBC_DRIVER_PATH to where the
adbc-driver-postgresql wheel of this Python is, and stops the server when the command
ends, however it ends; its exit status is the command's:

    python tests/python/_postgres.py COMMAND [ARGS...]
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("SLUICE_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "sluice"
PASSWORD = "s3cret-pw"
DATABASE = "sluice"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as():
    """The user the server runs as, and the prefix that runs a command as that user."""
    if os.geteuid() != 0:
        return None, []
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        return user, ["runuser", "-u", name, "--"]
    raise RuntimeError("running as root, and no 'postgres' or 'nobody' user to run PostgreSQL as")


class Postgres:
    """A running server. `uri()` connects as the test user over TCP with its password."""

    def __init__(self):
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(
                f"PostgreSQL binaries not found in {PG_BIN}: install Debian's postgresql package (tools/setup does)"
            )
        # Not under pytest's tmp_path: its parents are private to root, and the server's user must reach it.
        root = self.root = Path(tempfile.mkdtemp(prefix="sluice-pg-"))
        self.data = root / "data"
        self.socket_dir = root / "socket"
        self.port = _free_port()
        self.user, self.prefix = _run_as()
        self.socket_dir.mkdir(parents=True)
        self.data.mkdir()
        if self.user is not None:
            for path in (root, self.data, self.socket_dir):
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
            os.chmod(root, 0o755)
        pwfile = root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.user is not None:
            os.chown(pwfile, self.user.pw_uid, self.user.pw_gid)
        self._run(
            PG_BIN / "initdb",
            "-D",
            self.data,
            "-U",
            USER,
            f"--pwfile={pwfile}",
            "-A",
            "scram-sha-256",
            "--auth-local=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        pwfile.unlink()
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.socket_dir}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "shared_buffers = 64MB\nmax_connections = 40\n"
            )
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", root / "server.log", "-w", "-t", "30", "start")
        self.psql("postgres", f"CREATE DATABASE {DATABASE}")

    def _run(self, *args):
        result = subprocess.run([*self.prefix, *map(str, args)], capture_output=True, text=True, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr or result.stdout}")

    def uri(self, password=PASSWORD, host="127.0.0.1", port=None):
        return f"postgresql://{USER}:{password}@{host}:{port or self.port}/{DATABASE}"

    def psql(self, database, sql):
        """Runs `sql` through the Unix socket (trust); returns psql's output."""
        result = subprocess.run(
            [
                *self.prefix,
                str(PG_BIN / "psql") if (PG_BIN / "psql").exists() else "psql",
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.port),
                "-U",
                USER,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-X",
                "-q",
                "-A",
                "-t",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=self.root,
        )
        return result.stdout

    def execute(self, sql):
        return self.psql(DATABASE, sql)

    def stop(self):
        subprocess.run(
            [*self.prefix, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            cwd=self.root,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start() -> Postgres:
    started = time.monotonic()
    server = Postgres()
    server.started_in = time.monotonic() - started
    return server


def _driver_directory():
    """The site-packages holding this Python's adbc_driver_postgresql (a short-name search directory)."""
    try:
        import adbc_driver_postgresql
    except ImportError:
        raise SystemExit(
            f"_postgres.py: the ADBC PostgreSQL driver is missing from {sys.executable}: "
            "pip install adbc-driver-postgresql (bindings/python/requirements-test.txt; tools/setup installs it)"
        ) from None
    return str(Path(adbc_driver_postgresql.__file__).resolve().parents[1])


def _stop_on(signum, frame):
    # SIGTERM (CI's timeout, a killed job) unwinds like Ctrl-C, so that the server is stopped.
    raise KeyboardInterrupt


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    driver_dir = _driver_directory()
    signal.signal(signal.SIGTERM, _stop_on)
    server = start()
    try:
        env = dict(os.environ, SLUICE_TEST_PG_URI=server.uri())
        env["SLUICE_ADBC_DRIVER_PATH"] = os.pathsep.join(
            filter(None, [os.environ.get("SLUICE_ADBC_DRIVER_PATH"), driver_dir])
        )
        print(f"_postgres.py: PostgreSQL on 127.0.0.1:{server.port} (started in {server.started_in:.1f}s)", flush=True)
        return subprocess.run(argv, env=env).returncode
    except KeyboardInterrupt:
        return 130
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
