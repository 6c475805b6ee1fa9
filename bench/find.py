"""/find benchmark: search latency over 100 000 questions, through the service and repository
the bot uses (QuestionService.search → SearchRepository), on SQLite or PostgreSQL.

    .venv/bin/python bench/find.py                          # SQLite, 100 000 questions
    .venv/bin/python bench/find.py --quick                  # 10 000, a smoke run
    .venv/bin/python bench/find.py --database postgresql+asyncpg://postgres@127.0.0.1/test

A fresh database (an SQLite file, or a new PostgreSQL schema dropped afterwards) is migrated as
the bot migrates it (so the index and its triggers are the real ones) and filled with bulk Core
INSERTs: 5 councils holding 40, 30, 20, 9 and 1% of the questions, their topics, 20 000
citizens and `--questions` questions in Kazakh (40%), Russian (45%) and English (15%), made of
everyday words of council questions, street and place names (each council's own city in half
of its questions) and made-up surnames (a long tail of rare words, as real text has); 60%
answered or rejected in the same language, one in five with one or two internal notes, and an
"asked" line in the audit log for each. Every row goes through the index's triggers, as in
production.

Measured: the wall time of one QuestionService.search in its own session — sanitising the
words, the full-text query with the council filter, reading the notes of those shown — for a
set of searches (common and rare words, prefixes, two and three words, words only in answers or
notes, nothing found) as a secretary of the largest council, as one of the smallest (most
matches are other councils') and as a superadmin (all councils), each `--repeat` times after
one warm-up pass: p50, p95 and max over all of them, and each search's worst time with how
many questions match it in all.
"""

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, func, insert, make_url, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clock import SystemClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.services.councils import Staff  # noqa: E402
from bot.services.questions import QuestionService  # noqa: E402
from bot.services.search import search_words  # noqa: E402
from db.engine import create_engine, create_sessionmaker  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import AuditEntry, Council, Question, Topic, User  # noqa: E402
from db.repositories.search import SEARCH_TABLE, fts5_query, tsquery  # noqa: E402

TOKEN = "123456789:AAHfindBenchTokenNotReal_abcdefghijklmno"
COUNCILS = 5
# Councils differ in size: the smallest has 1% of the questions, the worst case for "newest
# first among this council's" (most matches belong to other councils).
COUNCIL_SHARES = [40, 30, 20, 9, 1]
# Each council's own city, in half of its questions: a word common in one council and absent
# from another.
COUNCIL_CITIES = ["Шымкент", "Қарағанды", "Ақтөбе", "Тараз", "Павлодар"]
CITIZENS = 20_000
CHUNK = 5_000
SECRETARY = 7_000_001
ADMIN = 7_000_000

KK = """
жол жолдар жөндеу жөнделеді көше көшесінде аула ауласында үй үйдің пәтер тұрғындар мектеп
мектептің балабақша аурухана емхана дәрігер су ауыз суы жылу жылыту газ жарық электр
қоқыс шығару автобус аялдама бағдарлама бюджет қаражат әкімдік әкім мәслихат кеңес
сұрақ жауап шағым өтініш қашан неге қалай қайда бізге сіздер көмек қажет керек жоқ бар
қала қаласында ауыл ауылында аудан облыс бала балалар зейнеткер мүгедек жәрдемақы тариф
төлем жұмыс жұмыссыз жер телім құрылыс жөндеу жұмыстары шұңқыр тротуар бағдаршам саябақ
ағаш көгалдандыру спорт алаң ойын алаңы кітапхана мәдениет үйі интернет байланыс полиция
қауіпсіздік жарықтандыру жаңбыр су басу көпір өзен жылдан бері әлі күнге дейін уәде
"""
RU = """
дорога дороги ремонт отремонтируют улица улице двор дворе дом дома квартира жильцы жители
школа школы детский сад больница поликлиника врач вода питьевая отопление газ свет
электричество мусор вывоз автобус остановка программа бюджет средства акимат аким маслихат
совет вопрос ответ жалоба обращение когда почему как где нам вы помощь нужно нет есть
город городе село селе район область ребенок дети пенсионер инвалид пособие тариф оплата
работа безработный земля участок строительство ремонтные работы яма тротуар светофор парк
деревья озеленение спорт площадка детская площадка библиотека дом культуры интернет связь
полиция безопасность освещение уличное дождь подтопление мост река уже год до сих пор обещали
"""
EN = """
road roads repair repaired street yard house building flat residents neighbours school
kindergarten hospital clinic doctor water drinking heating gas light electricity rubbish
collection bus stop programme budget funds akimat akim maslikhat council question answer
complaint appeal when why how where we you help need no there city village district region
child children pensioner disabled allowance tariff payment work unemployed land plot
construction works pothole pavement traffic lights park trees greening sports ground
playground library culture centre internet connection police safety lighting rain flooding
bridge river already year still promised
"""
PLACES = """
Алматы Астана Өскемен Семей Атырау Қостанай Қызылорда
Орал Петропавл Түркістан Абай Сәтбаев Жібек Жолы Төле би Райымбек Назарбаев Достық Әл-Фараби
Гагарин Розыбакиев Толе Сатпаева Абылай хан Бөкейхан Қонаев Momyshuly Seifullin Auezov
"""
ANSWERS = {
    "kk": "Сұрағыңыз әкімдікке жіберілді. Жөндеу жұмыстары {month} айында жоспарланған. "
    "Мердігер анықталды, жұмыс кестесі бекітілді.",
    "ru": "Ваш вопрос направлен в акимат. Ремонтные работы запланированы на {month}. "
    "Подрядчик определен, график работ утвержден.",
    "en": "Your question was sent to the akimat. The repair works are planned for {month}. "
    "A contractor has been chosen and the schedule approved.",
}
MONTHS = {
    "kk": ["наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек"],
    "ru": ["март", "апрель", "май", "июнь", "июль", "август", "сентябрь"],
    "en": ["March", "April", "May", "June", "July", "August", "September"],
}
NOTES = [
    "Called the akimat: contractor {name} named, works from {month}.",
    "Позвонили в акимат, подрядчик {name}, сроки — {month}.",
    "Әкімдікке хабарластық, мердігер {name}, мерзімі {month}.",
    "Site visit with {name}: photos in the council chat.",
    "Выезд на место с депутатом {name}, составлен акт.",
]
SYLLABLES = [
    "ба",
    "бе",
    "жан",
    "мұр",
    "сұл",
    "тан",
    "ер",
    "ғали",
    "нұр",
    "сей",
    "ка",
    "ра",
    "ки",
    "мо",
    "ла",
    "ли",
    "на",
    "та",
    "ко",
    "зы",
    "до",
    "кен",
    "бек",
]
SEARCHES = [
    # (what it is, what a secretary types)
    ("common kk word", "жол"),
    ("common ru word", "улице"),
    ("common en word", "school"),
    ("2-letter prefix", "жо"),
    ("ru prefix", "отремонт"),
    ("kk prefix, upper case", "ЖӨНДЕ"),
    ("place name", "Алматы"),
    ("place + word", "Абай көшесінде"),
    ("two ru words", "освещение уличное"),
    ("three en words", "heating school repair"),
    ("answer words", "подрядчик определен"),
    ("note words", "акимат подрядчик"),
    ("rare surname", "{rare}"),
    ("rare + common", "{rare} жол"),
    ("nothing found", "xylophone"),
    ("council 1's city", "Шымкент"),
    ("FTS syntax", 'NEAR("жол" -абай*) OR (x)'),
]


def vocabulary(text_block: str) -> list[str]:
    return text_block.split()


def surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize() + "ов"


class TextMaker:
    """Questions as people write them: a few sentences of everyday words (some far more common
    than others), a place, a house number, sometimes a name."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = {"kk": vocabulary(KK), "ru": vocabulary(RU), "en": vocabulary(EN)}
        self.places = vocabulary(PLACES)
        # Zipf-like weights: the first words of each list come up far more often.
        self.weights = {
            language: [1 / (rank + 1) ** 0.8 for rank in range(len(words))]
            for language, words in self.words.items()
        }
        self.surnames = [surname(rng) for _ in range(20_000)]

    def sentence(self, language: str) -> str:
        words = self.rng.choices(
            self.words[language], self.weights[language], k=self.rng.randint(6, 14)
        )
        words.insert(self.rng.randrange(len(words)), self.rng.choice(self.places))
        if self.rng.random() < 0.3:
            words.append(str(self.rng.randint(1, 250)))
        if self.rng.random() < 0.2:
            words.insert(self.rng.randrange(len(words)), self.rng.choice(self.surnames))
        return " ".join(words).capitalize() + self.rng.choice([".", "?", "!", "..."])

    def question(self, language: str) -> str:
        return " ".join(self.sentence(language) for _ in range(self.rng.randint(1, 4)))

    def answer(self, language: str) -> str:
        month = self.rng.choice(MONTHS[language])
        return ANSWERS[language].format(month=month) + " " + self.sentence(language)

    def note(self) -> str:
        language = self.rng.choice(["kk", "ru", "en"])
        return self.rng.choice(NOTES).format(
            name=self.rng.choice(self.surnames), month=self.rng.choice(MONTHS[language])
        )


def table(model: Any) -> Table:
    return cast(Table, model.__table__)


async def fill(engine: AsyncEngine, questions: int, rng: random.Random) -> TextMaker:
    maker = TextMaker(rng)
    now = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)
    async with engine.begin() as connection:
        await connection.execute(
            insert(table(Council)),
            [
                {
                    "id": number,
                    "name_kk": f"Кеңес {number}",
                    "name_ru": f"Совет {number}",
                    "name_en": f"Council {number}",
                    "timezone": "Asia/Almaty",
                    "default_language": "ru",
                    "created_at": now,
                }
                for number in range(1, COUNCILS + 1)
            ],
        )
        await connection.execute(
            insert(table(Topic)),
            [
                {
                    "id": council * 10 + number,
                    "council_id": council,
                    "name_kk": f"Тақырып {number}",
                    "name_ru": f"Тема {number}",
                    "name_en": f"Topic {number}",
                    "position": number,
                    "is_hidden": False,
                }
                for council in range(1, COUNCILS + 1)
                for number in range(7)
            ],
        )
        await connection.execute(
            insert(table(User)),
            [
                {
                    "id": 1_000_000 + number,
                    "full_name": maker.rng.choice(maker.surnames),
                    "language": rng.choice(["kk", "ru", "en"]),
                    "first_seen": now,
                    "last_seen": now,
                    "is_active": True,
                }
                for number in range(CITIZENS)
            ],
        )
    start = datetime(2025, 1, 1, 4, 0, tzinfo=UTC)
    step = (now - start) / questions
    for first in range(0, questions, CHUNK):
        rows, audit = [], []
        for offset in range(min(CHUNK, questions - first)):
            number = first + offset + 1
            language = rng.choices(["kk", "ru", "en"], [40, 45, 15])[0]
            created = start + step * number
            closed = rng.random() < 0.6
            council = rng.choices(range(1, COUNCILS + 1), COUNCIL_SHARES)[0]
            rows.append(
                {
                    "id": number,
                    "year": created.year,
                    "number": number,
                    "council_id": council,
                    "topic_id": council * 10 + rng.randrange(7),
                    "citizen_id": 1_000_000 + rng.randrange(CITIZENS),
                    "anonymous": rng.random() < 0.3,
                    "text": maker.question(language)
                    + (f" {COUNCIL_CITIES[council - 1]}." if rng.random() < 0.5 else ""),
                    "status": rng.choice(["answered", "rejected"])
                    if closed
                    else rng.choice(["new", "in_progress"]),
                    "created_at": created,
                    "due_date": (created + timedelta(days=21)).date(),
                    "closed_at": created + timedelta(days=9) if closed else None,
                    "resolution": maker.answer(language) if closed else None,
                }
            )
            audit.append(
                {
                    "at": created,
                    "actor_id": None,
                    "council_id": council,
                    "question_id": number,
                    "action": "asked",
                    "detail": None,
                }
            )
            if rng.random() < 0.2:
                for _ in range(rng.randint(1, 2)):
                    audit.append(
                        {
                            "at": created + timedelta(days=2),
                            "actor_id": SECRETARY,
                            "council_id": council,
                            "question_id": number,
                            "action": "note",
                            "detail": maker.note(),
                        }
                    )
        async with engine.begin() as connection:
            await connection.execute(insert(table(Question)), rows)
            await connection.execute(insert(table(AuditEntry)), audit)
    # Statistics as autovacuum (PostgreSQL) or a periodic ANALYZE would leave them; the FTS5
    # index is left as its own automatic merges leave it, as in production.
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    return maker


async def matching(engine: AsyncEngine, words: list[str]) -> int:
    """How many questions (of every council) hold every word: for the table, not timed."""
    if not words:
        return 0
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            query = text(
                f"SELECT count(*) FROM {SEARCH_TABLE} "
                "WHERE document @@ to_tsquery('simple', :query)"
            )
            return int((await connection.execute(query, {"query": tsquery(words)})).scalar_one())
        query = text(f"SELECT count(*) FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH :query")
        return int((await connection.execute(query, {"query": fts5_query(words)})).scalar_one())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def measure(engine: AsyncEngine, settings: Any, maker: TextMaker, repeat: int) -> None:
    sessionmaker = create_sessionmaker(engine)
    clock = SystemClock()
    staffs = {
        "secretary (largest council)": Staff(SECRETARY, council_ids=frozenset({1})),
        "secretary (smallest council)": Staff(SECRETARY, council_ids=frozenset({COUNCILS})),
        "superadmin (all)": Staff(ADMIN, is_superadmin=True),
    }
    rare = maker.surnames[7]
    searches = [(name, typed.format(rare=rare)) for name, typed in SEARCHES]

    async def once(staff: Staff, typed: str) -> tuple[float, int]:
        async with sessionmaker() as session:
            service = QuestionService(session, settings, clock)
            began = time.perf_counter()
            try:
                found = len((await service.search(staff, typed)).found)
            finally:
                elapsed = time.perf_counter() - began
        return elapsed * 1000, found

    all_times: list[float] = []
    rows = []
    for staff_name, staff in staffs.items():
        for name, typed in searches:
            await once(staff, typed)  # warm-up
            times, shown = [], 0
            for _ in range(repeat):
                elapsed, shown = await once(staff, typed)
                times.append(elapsed)
            all_times += times
            total = await matching(engine, search_words(typed))
            rows.append((staff_name, name, typed, total, shown, max(times)))
    print()
    print("| who | search | typed | match (all councils) | shown | max ms |")
    print("|---|---|---|---:|---:|---:|")
    for staff_name, name, typed, total, shown, worst in rows:
        shown_typed = typed.replace("|", "\\|")
        print(f"| {staff_name} | {name} | `{shown_typed}` | {total} | {shown} | {worst:.1f} |")
    print()
    print(
        f"{len(all_times)} searches: p50 {statistics.median(all_times):.1f} ms, "
        f"p95 {percentile(all_times, 0.95):.1f} ms, max {max(all_times):.1f} ms"
    )


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kilobytes = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kilobytes / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{model}, {os.cpu_count()} CPUs{memory}, {platform.system()} {platform.release()}"


async def main(arguments: argparse.Namespace) -> None:
    questions = 10_000 if arguments.quick else arguments.questions
    rng = random.Random(13)
    schema = None
    directory = None
    if arguments.database:
        url = make_url(arguments.database)
        schema = f"bench_find_{uuid.uuid4().hex[:12]}"
        admin = create_engine(url.render_as_string(hide_password=False), poolclass=NullPool)
        async with admin.begin() as connection:
            await connection.execute(text(f"CREATE SCHEMA {schema}"))
        database_url = url.update_query_dict({"search_path": schema}).render_as_string(
            hide_password=False
        )
    else:
        directory = tempfile.TemporaryDirectory(prefix="bench-find-")
        database_url = f"sqlite+aiosqlite:///{directory.name}/find.db"
    settings = load_settings(bot_token=TOKEN, database_url=database_url, _env_file=None)
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        began = time.perf_counter()
        maker = await fill(engine, questions, rng)
        filled = time.perf_counter() - began
        async with engine.connect() as connection:
            count = (
                await connection.execute(select(func.count()).select_from(table(Question)))
            ).scalar_one()
            notes = (
                await connection.execute(
                    text("SELECT count(*) FROM audit_log WHERE action = 'note'")
                )
            ).scalar_one()
            version = (
                await connection.execute(
                    text(
                        "SELECT version()"
                        if engine.dialect.name == "postgresql"
                        else "SELECT 'SQLite ' || sqlite_version()"
                    )
                )
            ).scalar_one()
        print(f"{date.today()} · {machine()}")
        print(
            f"{version.split(' on ')[0]} · {count} questions, {notes} notes, filled in "
            f"{filled:.0f} s (index triggers included)"
        )
        await measure(engine, settings, maker, arguments.repeat)
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
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="10 000 questions")
    parser.add_argument("--database", help="a PostgreSQL URL (a schema is made and dropped)")
    asyncio.run(main(parser.parse_args()))
