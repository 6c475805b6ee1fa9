"""`python -m bot` as an operator runs it: clear failures at start, polling a Bot API server."""

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import inspect

from db.engine import create_engine
from tests.conftest import TOKEN
from tests.fake_api import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
# The console script `pip install` made beside this interpreter (pyproject.toml's
# [project.scripts]).
CONSOLE_SCRIPT = Path(sys.executable).with_name("hearing-state-bot")
# Settings of the developer's shell that would leak into the bot under test.
OURS = {"BOT_TOKEN", "DATABASE_URL", "DATA_DIR", "ENV_FILE", "MPLCONFIGDIR", "TELEGRAM_API_URL"}


def bot_environment(env: dict[str, str | None], cwd: Path) -> dict[str, str]:
    """The environment of a bot started in `cwd`: DATA_DIR is `cwd`/data unless `env` sets it,
    or unsets it with None; nothing is written into the checkout."""
    clean = {k: v for k, v in os.environ.items() if k not in OURS}
    wanted = {"PYTHONPATH": str(ROOT), "DATA_DIR": str(cwd / "data"), **env}
    return {**clean, **{k: v for k, v in wanted.items() if v is not None}}


async def healthcheck(port: int) -> int:
    """The container's HEALTHCHECK command (deploy/healthcheck.py), as in webhook mode."""
    clean = {k: v for k, v in os.environ.items() if k not in {"HEALTH_PORT", "WEBHOOK_PORT"}}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        ROOT / "deploy" / "healthcheck.py",
        env={**clean, "WEBHOOK_PORT": str(port)},
        stderr=asyncio.subprocess.PIPE,
    )
    await asyncio.wait_for(process.communicate(), timeout=30)
    return process.returncode or 0


async def run_bot(env: dict[str, str | None], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=cwd,
        env=bot_environment(env, cwd),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def exits_with(env: dict[str, str | None], cwd: Path) -> tuple[int, str]:
    process = await run_bot(env, cwd)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, stderr.decode()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "error: BOT_TOKEN is not set: get a token from @BotFather"),
        ({"BOT_TOKEN": ""}, "error: BOT_TOKEN is empty: get a token from @BotFather"),
        ({"BOT_TOKEN": "not-a-token"}, "error: BOT_TOKEN does not look like a token"),
        ({"BOT_TOKEN": TOKEN, "TIMEZONE": "Mars/Olympus"}, "error: TIMEZONE unknown time zone"),
        ({"BOT_TOKEN": TOKEN, "DATABASE_URL": "mysql://x/y"}, "error: DATABASE_URL database"),
        ({"BOT_TOKEN": TOKEN, "DATABASE_URL": "::nonsense"}, "error: DATABASE_URL is not a"),
        ({"ENV_FILE": "/nowhere/.env"}, "error: ENV_FILE names /nowhere/.env, which is not a"),
        ({"BOT_TOKEN": TOKEN, "DATA_DIR": "/dev/null/d"}, "error: DATA_DIR /dev/null/d cannot be"),
    ],
)
async def test_bad_configuration_stops_with_one_clear_line(env, expected, tmp_path):
    code, stderr = await exits_with(env, tmp_path)
    assert code == 2
    assert stderr.strip().startswith(expected), stderr
    assert len(stderr.strip().splitlines()) == 1, "one line, no traceback"
    assert "Traceback" not in stderr


async def test_rejected_token_says_so_without_printing_it(tmp_path):
    api = FakeBotApi(token="999:other")
    base = await api.start()
    try:
        code, stderr = await exits_with(
            {
                "BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": base,
                "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            },
            tmp_path,
        )
    finally:
        await api.stop()
    assert code == 2
    assert "BOT_TOKEN was rejected by Telegram" in stderr
    assert TOKEN not in stderr
    assert TOKEN.split(":")[1] not in stderr


async def test_unreachable_redis_stops_the_bot_with_one_line(tmp_path):
    api = FakeBotApi(token=TOKEN)
    base = await api.start()
    try:
        env = {"BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": base, "REDIS_URL": "redis://127.0.0.1:1/0"}
        code, stderr = await exits_with(env, tmp_path)
    finally:
        await api.stop()
    assert code == 2
    assert stderr.strip().splitlines()[-1].startswith("error: REDIS_URL cannot be reached")
    assert "Traceback" not in stderr
    assert TOKEN not in stderr


async def test_polls_a_custom_bot_api_server_and_answers_start(tmp_path):
    """Started in one folder with its settings file in another (ENV_FILE): the database goes to
    the default DATA_DIR, `data` beside the settings file, not into the working directory."""
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    api = FakeBotApi(token=TOKEN)
    base = await api.start()
    user = {"id": 555, "is_bot": False, "first_name": "Dana", "language_code": "kk"}
    api.push_update(
        {
            "message": {
                "message_id": 1,
                "date": 1_790_000_000,
                "chat": {"id": 555, "type": "private", "first_name": "Dana"},
                "from": user,
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
        }
    )
    (home / "settings.env").write_text(f"BOT_TOKEN={TOKEN}\nTELEGRAM_API_URL={base}\n")
    env = {"ENV_FILE": "../home/settings.env", "DATA_DIR": None}
    process = await run_bot(env, elsewhere)
    try:
        message = await asyncio.wait_for(api.sent.get(), timeout=60)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        await api.stop()
    assert message["chat"]["id"] == 555
    assert "Тілді таңдаңыз" in message["text"]
    assert (home / "data" / "bot.db").exists(), "the default SQLite file: DATA_DIR/bot.db"
    assert list(elsewhere.iterdir()) == [], "nothing written into the working directory"
    methods = {name for name, _ in api.calls}
    assert {"getMe", "setMyCommands", "getUpdates", "sendMessage"} <= methods
    assert TOKEN not in stderr.decode()
    assert process.returncode == 0


async def test_webhook_mode_serves_updates_and_stops_on_sigterm(tmp_path):
    api = FakeBotApi(token=TOKEN)
    base = await api.start()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": base,
        "MODE": "webhook",
        "WEBHOOK_URL": "https://bot.example.org/hook",
        "WEBHOOK_SECRET": "cli-secret",
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }
    process = await run_bot(env, tmp_path)
    try:
        while await asyncio.wait_for(api.methods.get(), timeout=60) != "setWebhook":
            pass
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 1_790_000_000,
                "chat": {"id": 555, "type": "private", "first_name": "Dana"},
                "from": {"id": 555, "is_bot": False, "first_name": "Dana"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/hook"
            async with http.post(url, json=update) as response:
                assert response.status == 401
            headers = {"X-Telegram-Bot-Api-Secret-Token": "cli-secret"}
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 200
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
        assert await healthcheck(port) == 0
        message = await asyncio.wait_for(api.sent.get(), timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        await api.stop()
    assert await healthcheck(port) == 1, "nothing answers once the bot stopped"
    assert message["chat"]["id"] == 555
    assert process.returncode == 0, stderr.decode()
    webhook = dict(api.calls)["setWebhook"]
    assert webhook["url"] == "https://bot.example.org/hook"
    assert webhook["secret_token"] == "cli-secret"
    assert "deleteWebhook" not in dict(api.calls), "kept: WEBHOOK_DELETE_ON_SHUTDOWN is false"
    assert "getUpdates" not in dict(api.calls)
    assert TOKEN not in stderr.decode()
    assert "cli-secret" not in stderr.decode()


async def console(*args: str, env: dict[str, str | None], cwd: Path) -> tuple[int, str, str]:
    """`hearing-state-bot ARGS` as an operator types it."""
    process = await asyncio.create_subprocess_exec(
        CONSOLE_SCRIPT,
        *args,
        cwd=cwd,
        env=bot_environment(env, cwd),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, stdout.decode(), stderr.decode()


async def test_console_command_lists_its_subcommands(tmp_path):
    code, stdout, _ = await console("--help", env={}, cwd=tmp_path)
    assert code == 0
    assert stdout.startswith("usage: hearing-state-bot [-h] COMMAND")
    assert "run the bot (the default)" in stdout
    assert "bring the database up to date" in stdout
    code, _, stderr = await console("rn", env={"BOT_TOKEN": TOKEN}, cwd=tmp_path)
    assert code == 2
    assert "invalid choice: 'rn'" in stderr


async def test_migrate_command_creates_the_schema_in_data_dir(tmp_path):
    state, elsewhere = tmp_path / "state", tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, _, stderr = await console(
        "migrate", env={"BOT_TOKEN": TOKEN, "DATA_DIR": str(state)}, cwd=elsewhere
    )
    assert code == 0, stderr
    assert stderr.strip().splitlines()[-1] == "database is up to date"
    import sqlite3

    with sqlite3.connect(state / "bot.db") as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
        (mode,) = connection.execute("pragma journal_mode").fetchone()
    assert {"users", "alembic_version"} <= tables
    assert mode == "wal"
    assert list(elsewhere.iterdir()) == []


async def test_migrate_command_uses_database_url(database_url, tmp_path):
    """DATABASE_URL as an operator sets it: the suite's backend (PostgreSQL when it is set)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "migrate",
        cwd=tmp_path,
        env=bot_environment({"BOT_TOKEN": TOKEN, "DATABASE_URL": database_url}, tmp_path),
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    assert {"users", "questions", "deliveries", "alembic_version"} <= tables


def start_update(user_id: int = 555) -> dict:
    return {
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Dana"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Dana"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        }
    }


async def test_polling_removes_a_webhook_left_from_webhook_mode(tmp_path):
    """Switching back from webhook to polling: Telegram refuses getUpdates while a webhook is
    set, so the bot removes it first — keeping the updates waiting — and says so."""
    api = FakeBotApi(token=TOKEN, webhook_url="https://old.example.org/hook")
    base = await api.start()
    api.push_update(start_update())  # sent while nobody listened: kept, then answered
    process = await run_bot(
        {"BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": base, "ADMIN_IDS": "1"}, tmp_path
    )
    try:
        message = await asyncio.wait_for(api.sent.get(), timeout=60)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), timeout=30)
        await api.stop()
    stderr = stderr_bytes.decode()
    assert message["chat"]["id"] == 555
    assert process.returncode == 0, stderr
    methods = [name for name, _ in api.calls]
    assert methods.index("getWebhookInfo") < methods.index("deleteWebhook")
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert dict(api.calls)["deleteWebhook"].get("drop_pending_updates") in (False, None)
    assert api.webhook_url == ""
    assert not [refused for refused in api.refusals if refused[0] == "getUpdates"]
    assert "removed the webhook to https://old.example.org/hook left from webhook mode" in stderr


async def test_start_up_line_warning_health_server_and_json_logs_when_polling(tmp_path):
    """One line at start says what runs; no superadmin is a loud warning; HEALTH_PORT serves
    /healthz and /metrics beside polling; LOG_FORMAT=json writes one object per line."""
    api = FakeBotApi(token=TOKEN)
    base = await api.start()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": base,
        "HEALTH_PORT": str(port),
        "LOG_FORMAT": "json",
    }
    process = await run_bot(env, tmp_path)
    try:
        while await asyncio.wait_for(api.methods.get(), timeout=60) != "getUpdates":
            pass
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
                assert await response.text() == "ok\n"
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 200
                assert "bot_updates_total" in await response.text()
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), timeout=30)
        await api.stop()
    assert process.returncode == 0, stderr_bytes.decode()
    entries = [json.loads(line) for line in stderr_bytes.decode().splitlines()]
    messages = [entry["message"] for entry in entries]
    [started] = [entry for entry in entries if entry["message"].startswith("started as @")]
    assert started["level"] == "INFO" and started["logger"] == "bot"
    assert started["message"].startswith("started as @hearing_state_bot: hearing-state-bot ")
    assert started["message"].endswith(
        f", mode polling, database sqlite {tmp_path / 'data' / 'bot.db'}, 1 council, "
        "0 secretaries, 0 superadmins"
    )
    [warning] = [
        entry
        for entry in entries
        if entry["level"] == "WARNING" and "ADMIN_IDS" in entry["message"]
    ]
    assert warning["message"].startswith("NO SUPERADMIN: ADMIN_IDS is empty")
    assert f"serving /healthz and /metrics on 127.0.0.1:{port}" in messages
    assert not [m for m in messages if "Running job" in m or "executed successfully" in m]
    assert "deleteWebhook" not in dict(api.calls), "no webhook was set: nothing removed"
    assert TOKEN not in stderr_bytes.decode()
