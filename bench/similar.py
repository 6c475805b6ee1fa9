"""Similar-answers benchmark (issue 16): how often the right published answer is among the three
shown while a citizen writes a question, and how long finding them takes at 10 000 published
answers, through the service the bot uses (PublicationService.similar → PublishedRepository),
on SQLite or PostgreSQL.

    .venv/bin/python bench/similar.py                       # SQLite
    .venv/bin/python bench/similar.py --database postgresql+asyncpg://postgres@127.0.0.1/test

The labelled set, bench/data/similar_questions.json: 24 published questions with the council's
answers (8 in each of kk, ru, en: roads, schools, utilities, transport, land, events…) and 72
questions written to find them (three per answer, in its language, other words and word forms),
plus 9 questions no published answer fits.

A fresh database (an SQLite file, or a new PostgreSQL schema dropped afterwards) is migrated as
the bot migrates it and filled as bench/find.py fills it (`--questions` questions of 5 councils
in kk, ru and en, made of everyday words of council questions); `--published` of the answered
ones are published (spread over every council), and the 24 labelled ones are published at
council 1 among them. Then, each labelled question once after a warm-up pass:

- hit rate: the labelled answer among the (at most three) shown at council 1 — what /ask shows;
  also on the labelled answers alone (a council with 24 published answers);
- false suggestions: unrelated questions for which something is shown all the same;
- latency: wall time of one PublicationService.similar (council 1) and of one /faq search over
  every council (PublicationService.search, ten results), each in its own session: p50, p95,
  max.
"""

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, make_url, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import find  # noqa: E402  (bench/find.py: the filler questions)

from bot.clock import SystemClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.services import search  # noqa: E402
from bot.services.publication import PublicationService  # noqa: E402
from db.engine import create_engine, create_sessionmaker  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import Question  # noqa: E402

DATA = ROOT / "bench" / "data" / "similar_questions.json"
TOKEN = "123456789:AAHsimilarBenchTokenNotReal_abcdefghijk"
LABELLED_FROM = 10_000_000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def publish(engine: AsyncEngine, published: int, labelled: list[dict[str, Any]]) -> int:
    """Publish `published` answered filler questions, then add the labelled ones at council 1."""
    now = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    async with engine.begin() as connection:
        chosen = select(Question.id).where(Question.status == "answered").limit(published)
        await connection.execute(
            update(Question)
            .where(Question.id.in_(chosen.scalar_subquery()))
            .values(publish_consent=True, published_at=now)
        )
        rows = [
            {
                "id": LABELLED_FROM + number,
                "year": 2026,
                "number": LABELLED_FROM + number,
                "council_id": 1,
                "topic_id": 10 + number % 7,
                "citizen_id": 1_000_000,
                "anonymous": True,
                "text": item["question"],
                "status": "answered",
                "created_at": now - timedelta(days=30),
                "due_date": (now - timedelta(days=9)).date(),
                "closed_at": now - timedelta(days=10),
                "resolution": item["answer"],
                "publish_consent": True,
                "published_at": now - timedelta(days=number),
            }
            for number, item in enumerate(labelled)
        ]
        await connection.execute(insert(find.table(Question)), rows)
        await connection.execute(text("ANALYZE"))
        total = await connection.scalar(
            select(func.count(Question.id)).where(Question.published_at.is_not(None))
        )
    return int(total or 0)


async def run(engine: AsyncEngine, settings: Any, data: dict[str, Any], repeat: int) -> None:
    sessions = create_sessionmaker(engine)
    ids = {item["id"]: LABELLED_FROM + n for n, item in enumerate(data["published"])}
    labelled_ids = set(ids.values())

    async def similar(question: str) -> tuple[float, list[int]]:
        async with sessions() as session:
            service = PublicationService(session, settings, SystemClock())
            began = time.perf_counter()
            found = await service.similar(1, question)
            return time.perf_counter() - began, [q.id for q in found]

    async def faq(question: str) -> float:
        async with sessions() as session:
            service = PublicationService(session, settings, SystemClock())
            began = time.perf_counter()
            await service._similar(question, None, 10)
            return time.perf_counter() - began

    paraphrases = data["paraphrases"]
    for item in paraphrases[:10]:  # warm-up
        await similar(item["question"])
    hits: dict[str, list[int]] = {"kk": [0, 0], "ru": [0, 0], "en": [0, 0]}
    first = 0
    times: list[float] = []
    faq_times: list[float] = []
    misses = []
    language_of = {item["id"]: item["language"] for item in data["published"]}
    for _round in range(repeat):
        for item in paraphrases:
            took, found = await similar(item["question"])
            times.append(took)
            faq_times.append(await faq(item["question"]))
            if _round:
                continue
            language = language_of[item["answer"]]
            wanted = ids[item["answer"]]
            hits[language][1] += 1
            if wanted in found:
                hits[language][0] += 1
                first += found[0] == wanted
            else:
                misses.append(item["question"])
    unrelated = 0
    for question in data["unrelated"]:
        _took, found = await similar(question)
        unrelated += bool(found)
    total_hits = sum(h for h, _n in hits.values())
    print(
        f"hit rate (right answer among the ≤3 shown): {total_hits}/{len(paraphrases)} = "
        f"{total_hits / len(paraphrases):.0%}; first of those shown: {first}/{len(paraphrases)}"
    )
    for language, (hit, count) in hits.items():
        print(f"  {language}: {hit}/{count}")
    print(f"unrelated questions with something shown: {unrelated}/{len(data['unrelated'])}")
    for label, values in (("similar (council 1)", times), ("/faq search (all)", faq_times)):
        ms = [value * 1000 for value in values]
        print(
            f"latency {label}: p50 {percentile(ms, 0.5):.1f} ms · p95 "
            f"{percentile(ms, 0.95):.1f} ms · max {max(ms):.1f} ms ({len(ms)} searches)"
        )
    if misses:
        print("missed:")
        for question in misses:
            print(f"  {question}")
    # Only the labelled answers (a council with few published answers): no filler in the way.
    async with sessions() as session:
        await session.execute(
            update(Question).where(Question.id.not_in(labelled_ids)).values(published_at=None)
        )
        await session.commit()
    alone = 0
    for item in paraphrases:
        _took, found = await similar(item["question"])
        alone += ids[item["answer"]] in found
    print(f"hit rate among the 24 labelled answers alone: {alone}/{len(paraphrases)}")


async def main(arguments: argparse.Namespace) -> None:
    if arguments.stem:
        search.STEM = arguments.stem
    data = json.loads(DATA.read_text(encoding="utf-8"))
    rng = random.Random(13)
    schema = directory = None
    if arguments.database:
        url = make_url(arguments.database)
        schema = f"bench_similar_{uuid.uuid4().hex[:12]}"
        admin = create_engine(url.render_as_string(hide_password=False), poolclass=NullPool)
        async with admin.begin() as connection:
            await connection.execute(text(f"CREATE SCHEMA {schema}"))
        database_url = url.update_query_dict({"search_path": schema}).render_as_string(
            hide_password=False
        )
    else:
        directory = tempfile.TemporaryDirectory(prefix="bench-similar-")
        database_url = f"sqlite+aiosqlite:///{directory.name}/similar.db"
    settings = load_settings(bot_token=TOKEN, database_url=database_url, _env_file=None)
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        began = time.perf_counter()
        await find.fill(engine, arguments.questions, rng)
        published = await publish(
            engine, arguments.published - len(data["published"]), data["published"]
        )
        async with engine.connect() as connection:
            version = await connection.scalar(
                text(
                    "SELECT version()"
                    if engine.dialect.name == "postgresql"
                    else "SELECT 'SQLite ' || sqlite_version()"
                )
            )
        print(f"{date.today()} · {find.machine()}")
        print(
            f"{str(version).split(' on ')[0]} · {arguments.questions} questions, {published} "
            f"published, filled in {time.perf_counter() - began:.0f} s · stem {search.STEM}"
        )
        await run(engine, settings, data, arguments.repeat)
    finally:
        await engine.dispose()
        if schema is not None:
            async with admin.begin() as connection:
                await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            await admin.dispose()
        if directory is not None:
            directory.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=40_000)
    parser.add_argument("--published", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stem", type=int, default=0, help="letters kept of a word (default 5)")
    parser.add_argument("--database", help="postgresql+asyncpg://… (default: SQLite)")
    asyncio.run(main(parser.parse_args()))
