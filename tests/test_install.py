"""The bot as deploy/install.sh installs it (what the Dockerfile runs), outside the checkout.

CI installs it into a fresh virtual environment and names it in INSTALLED_BOT (.ci/run); without
that variable these tests are skipped."""

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import TOKEN
from tests.fake_api import FakeBotApi
from tests.test_cli import OURS

INSTALLED = os.environ.get("INSTALLED_BOT", "")
pytestmark = pytest.mark.skipif(
    not INSTALLED, reason="INSTALLED_BOT names no install (.ci/run makes one)"
)
START = {
    "message_id": 1,
    "date": 1_790_000_000,
    "chat": {"id": 555, "type": "private", "first_name": "Dana"},
    "from": {"id": 555, "is_bot": False, "first_name": "Dana", "language_code": "kk"},
    "text": "/start",
    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
}


def outside_the_checkout(**env: str) -> dict[str, str]:
    """This shell's environment without anything that would lead the install back here."""
    leading = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", *OURS}
    return {**{k: v for k, v in os.environ.items() if k not in leading}, **env}


def test_the_install_holds_the_runtime_only(tmp_path):
    prefix = Path(INSTALLED)
    found = subprocess.run(
        [
            prefix / "bin" / "python",
            "-c",
            "import bot, importlib.util as u; print(bot.__file__); "
            "print([m for m in ('pytest', 'ruff', 'mypy') if u.find_spec(m)])",
        ],
        cwd=tmp_path,
        env=outside_the_checkout(),
        capture_output=True,
        text=True,
        check=True,
    )
    where, tools = found.stdout.splitlines()
    assert Path(where).is_relative_to(prefix / "lib"), "imported from the install"
    assert tools == "[]", "no test or lint tools"


async def test_an_installed_bot_started_elsewhere_answers_start(tmp_path):
    prefix = Path(INSTALLED)
    state, elsewhere = tmp_path / "state", tmp_path / "elsewhere"
    elsewhere.mkdir()
    api = FakeBotApi(token=TOKEN)
    base = await api.start()
    api.push_update({"message": START})
    # The install's own .env (PREFIX is its home); DATA_DIR from the environment, as in the
    # container and the systemd unit.
    env_file = prefix / ".env"
    env_file.write_text(f"BOT_TOKEN={TOKEN}\nTELEGRAM_API_URL={base}\n")
    try:
        process = await asyncio.create_subprocess_exec(
            prefix / "bin" / "hearing-state-bot",
            "run",
            cwd=elsewhere,
            env=outside_the_checkout(DATA_DIR=str(state)),
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            message = await asyncio.wait_for(api.sent.get(), timeout=60)
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        env_file.unlink()
        await api.stop()
    assert process.returncode == 0, stderr.decode()
    assert message["chat"]["id"] == 555
    assert "Тілді таңдаңыз" in message["text"], "the compiled catalogs came with the install"
    assert (state / "bot.db").is_file()
    assert list(elsewhere.iterdir()) == [], "nothing written into the working directory"
    assert TOKEN not in stderr.decode()
