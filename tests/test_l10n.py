"""The words of kk and ru: the catalog check itself, nothing English left inside a Kazakh or
Russian message, and a language named inside a sentence in that sentence's language."""

import importlib.util
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import median_days_text
from tests.conftest import ADMIN_ID
from tests.flows import new_event, said

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_catalogs", ROOT / "tools/check_catalogs.py")
assert _spec is not None and _spec.loader is not None
check_catalogs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_catalogs)


def problems(source: str, translation: str) -> list[str]:
    return check_catalogs.translation_problems([source], translation)


def test_the_check_lets_usage_arguments_be_translated():
    assert problems("Usage: /take <ticket>", "Қолданылуы: /take <талон>") == []
    assert problems("Usage: /q <ticket>", "Использование: /q <номер вопроса>") == []
    assert problems("<b>{title}</b>\n{when}", "<b>{title}</b>\n{when}") == []
    assert problems('<a href="{url}">Open</a>', '<a href="{url}">Ашу</a>') == []
    assert problems('<span class="tg-spoiler">x</span>', "<tg-spoiler>x</tg-spoiler>") != []


@pytest.mark.parametrize(
    "translation",
    [
        "Сұрақ қарауға алынды.",  # {ticket} dropped
        "{талон} сұрағы қарауға алынды.",  # {ticket} translated
        "<b>{ticket}</b сұрағы қарауға алынды.",  # a broken closing tag
        "<b>{ticket} сұрағы қарауға алынды.",  # never closed
        "{ticket} сұрағы қарауға алынды.",  # the tag dropped
        "<b {ticket}</b> сұрағы",  # a broken opening tag
        "</b>{ticket}<b> сұрағы",  # closed before it is opened
        "{ticket сұрағы",  # not a format string
    ],
)
def test_the_check_refuses_a_dropped_placeholder_or_a_broken_tag(translation):
    assert problems("<b>{ticket}</b> is taken into work.", translation) != []


# Latin words a kk or ru message may hold: what the user types for the bot's parser (slash
# commands and their keywords), brand and file-format names. Placeholders, Telegram tags,
# links, e-mail addresses and file names are taken out before looking.
ALLOWED = {
    # keywords the parsers read as typed: /inbox, /invite, /event_edit, reminders
    *[
        "mine",
        "unassigned",
        "overdue",
        "chair",
        "start",
        "end",
        "venue",
        "capacity",
        "text",
        "contacts",
    ],
    *["reminders", "default", "none", "audience"],
    # time zones as the superadmin types them for /council_tz (IANA names)
    *["IANA", "Asia", "Almaty", "Aqtobe", "Oral"],
    # names
    *["Telegram", "e-Otinish", "XLSX", "CSV", "PDF", "JSON"],
}
NOT_WORDS = re.compile(
    r"/[a-z_]+"  # a slash command
    r"|\{[\w.]*\}"  # a placeholder
    r"|</?(?:b|i|u|s|a|code|pre|blockquote|tg-spoiler|tg-emoji|span)(?: [^>]*)?>"
    r"|https?://\S+|[\w.+-]+@[\w-]+\.[\w.]+"  # a link, an e-mail address
    r"|@username"  # a Telegram @username, as typed
    r"|\.ics\b"
)


def latin_words(text: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z-]*[A-Za-z]", NOT_WORDS.sub(" ", text))
    return [w for w in words if len(re.sub("[^A-Za-z]", "", w)) >= 3 and w not in ALLOWED]


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_nothing_english_inside_kazakh_and_russian(language):
    path = ROOT / "bot" / "locales" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    english = {}
    for message in catalog:
        if not message.id:
            continue
        forms = [message.string] if isinstance(message.string, str) else message.string
        found = [word for form in forms for word in latin_words(form)]
        if found:
            english[message.id if isinstance(message.id, str) else message.id[0]] = found
    assert english == {}


def test_the_latin_check_finds_what_it_should():
    assert latin_words("Қолданылуы: /take <ticket>") == ["ticket"]
    assert latin_words("Использование: /export [YYYY-MM-DD YYYY-MM-DD]") == ["YYYY-MM-DD"] * 2
    assert latin_words("/inbox mine — {ticket} <b>XLSX</b> council@example.kz") == []


@pytest.fixture
def secretary(citizen, make_user):
    """A secretary of the first council (invited by the superadmin) who picked `picker`."""

    async def make(picker: str):
        admin = await citizen("en", "Admin", user_id=ADMIN_ID)
        await admin.send("/invite")
        payload = re.search(r"start=(inv_[\w-]+)", admin.last_reply().text).group(1)
        person = make_user("Saule")
        await person.send(f"/start {payload}")
        await person.press(picker)
        await person.send("/unsubscribe")
        return person

    return make


SENTENCES = {
    "kk": [
        "Мәтінді қазақ тілінде жіберіңіз; болмаса /skip басыңыз.",
        "Мәтінді орыс тілінде жіберіңіз; болмаса /skip басыңыз.",
        "Мәтінді ағылшын тілінде жіберіңіз; болмаса /skip басыңыз.",
        "Тек қазақ тілінде оқитындарға",
        "Алдын ала қарау — қазақ тілінде оқитындар үшін:",
    ],
    "ru": [
        "Пришлите текст на казахском языке или нажмите /skip, если его нет.",
        "Пришлите текст на русском языке или нажмите /skip, если его нет.",
        "Пришлите текст на английском языке или нажмите /skip, если его нет.",
        "Только читающим на казахском языке",
        "Предпросмотр для читающих на казахском языке:",
    ],
}


@pytest.mark.parametrize(("language", "picker"), [("kk", "Қазақша"), ("ru", "Русский")])
async def test_a_language_named_inside_a_sentence_reads_right(secretary, language, picker):
    secretary = await secretary(picker)
    before = len(secretary.inbox())
    ask_kk, ask_ru, ask_en, only_kk, preview = SENTENCES[language]

    await secretary.send("/broadcast")
    assert secretary.last_reply().text == ask_kk
    await secretary.send("Мәтін")
    assert secretary.last_reply().text == ask_ru
    await secretary.send("/skip")
    assert secretary.last_reply().text == ask_en
    await secretary.send("/skip")
    await secretary.send("/skip")  # no photo
    assert only_kk in secretary.last_reply().buttons
    await secretary.press(only_kk)
    await secretary.press(secretary.last_reply().buttons[0])  # send now
    texts = [reply.text for reply in secretary.inbox()[before:]]
    assert any(text.startswith(preview) for text in texts), texts
    # The language's own name (the picker's) never lands inside a sentence.
    assert not [t for t in texts if re.search("Қазақша|Русский|English", t)]


EXAMPLES = {
    "kk": ("Орталық кітапхана | Абай к-сі, 10 | 40", "Әйгерім Садықова | +7 701 123 45 67"),
    "ru": ("Центральная библиотека | ул. Абая, 10 | 40", "Айгерим Садыкова | +7 701 123 45 67"),
}


@pytest.mark.parametrize(("language", "picker"), [("kk", "Қазақша"), ("ru", "Русский")])
async def test_wizard_examples_and_the_calendar_file_are_local(
    secretary, citizen, app, telegram, language, picker
):
    secretary = await secretary(picker)
    reader = await citizen(language, "Reader")
    before = len(secretary.inbox())
    venue, contacts = EXAMPLES[language]
    await new_event(secretary, texts={language: "Дөңгелек үстел"}, venues=(venue,), choice=None)
    prompts = "\n".join(reply.text for reply in secretary.inbox()[before:])
    assert venue in prompts and contacts in prompts
    assert "Central library" not in prompts and "Aigerim" not in prompts
    await secretary.press(said(app, language, "Publish now"))
    await app.broadcaster.wait()

    await reader.press(said(app, language, "📅 Add to calendar"))
    [call] = telegram.sent(reader.id, name="sendDocument")
    assert (
        call.method.document.filename
        == {"kk": "іс-шара-1.ics", "ru": "мероприятие-1.ics"}[language]
    )
    assert call.method.caption == said(
        app, language, "Open the file to add «{title}» to your calendar.", title="Дөңгелек үстел"
    )


@pytest.mark.parametrize(
    ("language", "days", "expected"),
    [
        ("ru", 1, "Медианный срок ответа: 1 день"),
        ("ru", 3, "Медианный срок ответа: 3 дня"),
        ("ru", 11, "Медианный срок ответа: 11 дней"),
        ("ru", 13.9, "Медианный срок ответа: 13,9 дня"),
        ("kk", 2.5, "Жауап берудің медиандық мерзімі: 2,5 күн"),
        ("en", 1, "Median time to answer: 1 day"),
        ("en", 1.5, "Median time to answer: 1.5 days"),
        ("en", None, "Median time to answer: no answers yet"),
    ],
)
def test_a_median_of_days_takes_the_numbers_own_form(app, language, days, expected):
    """A whole number by the language's plural rule; a fraction as CLDR writes fractions."""
    with app.i18n.context():
        assert median_days_text(days, language) == expected
