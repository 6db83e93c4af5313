"""The built wheel, installed into a fresh environment beside packages named ``models`` and
``flows``, runs ``coffeechat demo``: the wheel claims no generic top-level import name.

Offline: the wheel is built without build isolation from a copy of the checkout, and installed
with ``--no-index --no-deps``; the new environment sees the test environment's dependencies
through a ``.pth`` line naming its site-packages (a plain path line, so the ``.pth`` files in
there, among them an editable install's finder, are not run). The demo runs from a directory
outside the repository, and, where the machine allows it, in a network namespace with only
loopback.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.structure.repo import PACKAGES, ROOT

pytestmark = pytest.mark.slow  # ~25 s on an idle 2-core machine: a build, two venvs, the demo

# What a clone holds that the build reads; tests, benchmarks and caches are not needed.
BUILD_INPUTS = ("pyproject.toml", "README.md", "LICENSE", *PACKAGES)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")


def run(args: list[str | Path], **kw: object) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure the assertion shows its output."""
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=600, check=False, **kw
    )  # type: ignore[call-overload]
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def clean_env(home: Path) -> dict[str, str]:
    """The environment of a user who has never seen this checkout: no PYTHONPATH, a new HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), PREFECT_HOME=str(home / "p"))
    env.update(XDG_DATA_HOME=str(home / ".local/share"), PIP_NO_INDEX="1", TZ="Europe/Paris")
    return env


def source_copy(dest: Path) -> Path:
    """The files a clone would hand to the build, copied so the checkout gets no build/ folder."""
    dest.mkdir()
    for name in BUILD_INPUTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=IGNORED)
        else:
            shutil.copy2(src, dest / name)
    return dest


def fake_wheel(dest: Path) -> Path:
    """A wheel of a stranger's project that provides top-level ``models`` and ``flows``."""
    files = {
        "models/__init__.py": "WHO = 'not coffeechat'\n",
        "flows/__init__.py": "WHO = 'not coffeechat'\n",
        "stranger-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: stranger\nVersion: 1.0\n",
        "stranger-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        "stranger-1.0.dist-info/top_level.txt": "flows\nmodels\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    files["stranger-1.0.dist-info/RECORD"] = "\n".join([*record, "stranger-1.0.dist-info/RECORD,,"])
    path = dest / "stranger-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def fresh_venv(path: Path) -> Path:
    """A new virtual environment of the same Python; returns its interpreter."""
    run([sys.executable, "-m", "venv", path])
    return path / "bin" / "python"


def see_dependencies(python: Path) -> None:
    """Let ``python`` import what the test environment has installed, coffeechat's code excluded.

    Written after the installs, so pip in the new environment never sees the test environment's
    own coffeechat distribution.
    """
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    site = Path(purelib.stdout.strip())
    (site / "zz_test_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


def offline(args: list[str | Path]) -> list[str | Path]:
    """``args`` in a network namespace with only loopback up, where the machine allows it."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare and ip and os.geteuid() == 0:
        probe = subprocess.run([unshare, "-n", ip, "link", "set", "lo", "up"], check=False)
        if probe.returncode == 0:
            return [unshare, "-n", "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh", *args]
    return args


WHERE = """
import importlib.util, sys
import coffeechat.models, coffeechat.flows, models, flows
print(coffeechat.models.__file__)
print(models.__file__, models.WHO, flows.WHO)
print(any('_EditableFinder' in repr(f) or '__editable__' in repr(f) for f in sys.meta_path))
"""


def test_wheel_beside_a_stranger_named_models(tmp_path: Path) -> None:
    """``coffeechat demo`` runs from the installed wheel while ``import models`` is a stranger's."""
    dist = tmp_path / "dist"
    src = source_copy(tmp_path / "src")
    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", dist, src])
    [wheel] = dist.glob("coffeechat-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        tops = {n.split("/")[0] for n in zf.namelist()}
    assert tops == {"coffeechat", wheel.name.split("-py3")[0] + ".dist-info"}

    python = fresh_venv(tmp_path / "venv")
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(home)
    install = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    run([*install, wheel, fake_wheel(tmp_path)], env=env)
    see_dependencies(python)

    where = run([python, "-c", WHERE], cwd=home, env=env).stdout.splitlines()
    site = str(tmp_path / "venv")
    assert where[0].startswith(site), where  # coffeechat from the wheel, not the checkout
    assert where[1].startswith(site) and where[1].endswith("not coffeechat not coffeechat")
    assert where[2] == "False", "the test environment's editable finder is active"

    coffeechat = tmp_path / "venv" / "bin" / "coffeechat"
    demo = run(offline([coffeechat, "demo", "--data-dir", home / "demo"]), cwd=home, env=env)
    # The demo ran its story and its mail went over SMTP (what it sends is the demo's own test).
    assert "delivered by SMTP" in demo.stdout, demo.stdout[-2000:]


def test_pip_install_from_a_clone(tmp_path: Path) -> None:
    """What ``pipx install .`` does, offline: a non-editable install of the source, then the CLI."""
    src = source_copy(tmp_path / "src")
    python = fresh_venv(tmp_path / "venv")
    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(home)
    # pip in the new environment builds with the test environment's setuptools (no isolation),
    # and only that: it must not see the test environment's own coffeechat distribution.
    env["PYTHONPATH"] = str(build_tools(tmp_path / "tools"))
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", src], env=env)
    del env["PYTHONPATH"]
    see_dependencies(python)
    shown = run([tmp_path / "venv" / "bin" / "coffeechat", "--help"], cwd=home, env=env)
    assert "demo" in shown.stdout
    listed = run([python, "-m", "pip", "show", "-f", "coffeechat"], cwd=home, env=env).stdout
    assert "coffeechat/models/store/migrations/versions/" in listed
    assert "Editable project location" not in listed


def build_tools(dest: Path) -> Path:
    """A folder holding only the test environment's setuptools, to put on PYTHONPATH."""
    import setuptools

    dest.mkdir()
    site = Path(setuptools.__file__).parent.parent
    for item in site.iterdir():
        if item.name.startswith(("setuptools", "pkg_resources", "_distutils_hack")):
            (dest / item.name).symlink_to(item)
    return dest
