"""The wheel (and so the image, which installs it) holds the product and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.processes import untraced

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    build = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*build, "--wheel-dir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=120,
        env=untraced(os.environ),  # pip is not what the coverage figure is about
    )
    (wheel,) = out.glob("kubernaut_gateway-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_holds_only_the_app_package_and_its_metadata(wheel_names):
    tops = {name.split("/", 1)[0] for name in wheel_names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"app"}
    assert not [name for name in wheel_names if "sandbox" in name or "kubeapi" in name]


def test_the_wheel_ships_every_lua_script(wheel_names):
    scripts = {path.name for path in (ROOT / "app" / "adapters" / "lua").glob("*.lua")}
    shipped = {name.rsplit("/", 1)[-1] for name in wheel_names if name.endswith(".lua")}
    assert scripts
    assert shipped == scripts
