"""Build of the `sluice` Python package.

The package is pure Python over the sluice shared library (ctypes). Building it
runs `cargo build --release` at the repository root (two levels above this
file) and bundles the resulting library as `sluice/_native/<libname>`, so the
installed wheel works on its own:

    pip install ./bindings/python

Environment:
    CARGO             cargo executable (default: `cargo` on PATH)
    CARGO_TARGET_DIR  cargo's target directory (default: <repo>/target); a
                      relative path is taken relative to the repository root,
                      as cargo itself does when run there
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover - older setuptools
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def library_file_name():
    if sys.platform == "darwin":
        return "libsluice.dylib"
    if sys.platform == "win32":
        return "sluice.dll"
    return "libsluice.so"


def crate_version():
    """The version of the Rust crate: one version for library and package."""
    cargo_toml = REPO / "Cargo.toml"
    if not cargo_toml.is_file():
        raise SystemExit(
            f"sluice: {cargo_toml} not found; the Python package is built from a "
            "checkout of the sluice repository (pip install ./bindings/python)"
        )
    in_package = False
    for line in cargo_toml.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            in_package = stripped == "[package]"
            continue
        match = re.match(r'version\s*=\s*"([^"]+)"', stripped)
        if in_package and match:
            return match.group(1)
    raise SystemExit(f"sluice: no [package] version in {cargo_toml}")


def target_dir():
    configured = os.environ.get("CARGO_TARGET_DIR")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else REPO / path
    return REPO / "target"


def build_native_library():
    """Run `cargo build --release` at the repository root; return the library path."""
    cargo = os.environ.get("CARGO", "cargo")
    if shutil.which(cargo) is None:
        raise SystemExit("sluice: building the package needs Rust's cargo on PATH (or CARGO=/path/to/cargo)")
    command = [cargo, "build", "--release"]
    print(f"sluice: running {' '.join(command)} in {REPO}", file=sys.stderr, flush=True)
    result = subprocess.run(command, cwd=REPO)
    if result.returncode != 0:
        raise SystemExit(f"sluice: `{' '.join(command)}` failed with exit code {result.returncode}")
    library = target_dir() / "release" / library_file_name()
    if not library.is_file():
        raise SystemExit(f"sluice: cargo succeeded but {library} does not exist")
    return library


class build_py_with_cargo(build_py):
    """Copy the Python sources, then build and bundle the shared library."""

    def run(self):
        super().run()
        library = build_native_library()
        destination = Path(self.build_lib) / "sluice" / "_native"
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library, destination / library_file_name())


class bdist_wheel_platform(bdist_wheel):
    """The wheel holds a native library: tag it for the platform, any Python 3."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    version=crate_version(),
    cmdclass={"build_py": build_py_with_cargo, "bdist_wheel": bdist_wheel_platform},
)
