"""The package as a user installs it: a wheel built from the sources, installed on its own
(not the source checkout), runs ``deconflict serve --demo`` from an empty directory —
the scenarios, their geodata and the map page all ship inside it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from servicekit import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
URL = re.compile(r"^(\S+) (http://127\.0\.0\.1:(\d+)/#token=(\S+))$")


def _run_installed(site: Path, *args: str) -> list[str]:
    """A command line running ``deconflict`` from ``site`` ahead of everything else."""
    boot = (
        "import sys, runpy; sys.path.insert(0, sys.argv.pop(1)); "
        "runpy.run_module('deconflict.cli', run_name='__main__')"
    )
    return [sys.executable, "-c", boot, str(site), *args]


def test_an_installed_wheel_plays_the_demo_from_an_empty_directory(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("deconflict-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in (
        "deconflict/scenario/scenarios/tabqa-2017-06-18.yaml",
        "deconflict/scenario/geo/zones.geojson",
        "deconflict/web/index.html",
        "deconflict/web/static/js/main.js",
        "deconflict/kinds.toml",
    ):
        assert shipped in names

    site = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), wheel],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "import deconflict; print(deconflict.__file__)",
            str(site),
        ],
        capture_output=True,
        text=True,
        cwd=empty,
        check=True,
    )
    assert where.stdout.strip().startswith(str(site)), "the installed copy, not the sources"

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        _run_installed(site, "serve", "--demo", "--speed", "50", "--port", str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=empty,
        env=env,
    )
    try:
        assert proc.stdout is not None
        logins = []
        deadline = time.monotonic() + 120
        while len(logins) < 3 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if m := URL.match(line.strip()):
                logins.append(m)
        assert len(logins) == 3, proc.stderr.read() if proc.poll() is not None else logins
        token = logins[0].group(4)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            while True:  # the URLs are printed as the server starts listening
                try:
                    page = c.get("/")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and proc.poll() is None
                    time.sleep(0.2)
            assert "<script" in page.text
            assert c.get("/static/js/main.js").status_code == 200
            assert c.get("/static/geo/countries.geojson").status_code == 200
            r = c.get("/v1/zones", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and r.json()["features"], "the scenario's zones"
        assert list(empty.iterdir()) == [], "the demo writes nothing where it is started"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
