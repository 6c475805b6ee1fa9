"""The container is built by the same install script CI runs (tests/test_install.py): what the
script needs, the Dockerfile copies, and every package the project ships is in it."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
INSTALL = (ROOT / "deploy" / "install.sh").read_text()


def copied_into_the_image() -> set[str]:
    sources = set()
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY ") and "/src/" in line:
            sources.update(line.split()[1:-1])
    return sources


def test_the_dockerfile_installs_with_the_script_ci_runs():
    assert "RUN /src/deploy/install.sh /opt/hearing-state-bot" in DOCKERFILE
    parts = re.search(r"for part in (.+); do", INSTALL)
    assert parts is not None
    needed = {"requirements.lock", "deploy/install.sh", *parts.group(1).split()}
    assert needed <= copied_into_the_image()


def test_every_package_the_project_ships_is_built_in_the_image():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    tops = {pattern.rstrip("*") for pattern in patterns}
    parts = re.search(r"for part in (.+); do", INSTALL)
    assert parts is not None
    assert tops <= set(parts.group(1).split())


def test_the_healthcheck_is_the_script_the_tests_run():
    assert 'CMD ["python", "/opt/hearing-state-bot/healthcheck.py"]' in DOCKERFILE
    assert "COPY deploy/healthcheck.py /opt/hearing-state-bot/healthcheck.py" in DOCKERFILE
