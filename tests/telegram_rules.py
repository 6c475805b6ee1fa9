"""What the Telegram Bot API refuses, with the error texts Telegram itself answers.

Both fakes (the in-process `FakeTelegram` and the aiohttp `FakeBotApi`) check every request
here, so a test that makes the bot send something Telegram would refuse fails the same way it
would fail in production: a 400 with Telegram's description, and nothing delivered.

Limits (https://core.telegram.org/bots/api, checked 2026-12):
- message text: 1–4096 characters after entity parsing; caption: 0–1024;
- HTML: only Telegram's tags, balanced, with `<`, `>` and `&` escaped elsewhere;
- callback_data: 1–64 bytes; at most 100 inline buttons per message;
- answerCallbackQuery text: at most 200 characters;
- sendMediaGroup: 2–10 items, documents not mixed with photos or videos;
- ForceReply input_field_placeholder: 1–64 characters;
- bot commands: 1–32 characters of a-z, 0-9 and _, description 1–256 characters, at most 100.
Lengths are counted in UTF-16 code units, the way Telegram counts entity offsets.
"""

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
MAX_ALERT = 200
MAX_PLACEHOLDER = 64
MEDIA_GROUP = (2, 10)

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "tg-emoji",
    "blockquote",
}

# Methods whose `text` is a message text (and `caption` a caption).
TEXT_METHODS = {"sendMessage", "editMessageText"}
CAPTION_METHODS = {
    "sendPhoto",
    "sendDocument",
    "sendVideo",
    "sendAudio",
    "sendAnimation",
    "sendVoice",
    "copyMessage",
    "editMessageCaption",
}


class TelegramRefusal(Exception):
    """A request Telegram answers with an error (400 unless said otherwise)."""

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _TelegramHtml(HTMLParser):
    """Parses parse_mode=HTML as Telegram does: only its tags, balanced, and `<`, `>`, `&`
    escaped everywhere else. Collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            raise TelegramRefusal(
                f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        if tag == "a" and not dict(attrs).get("href"):
            raise TelegramRefusal("Bad Request: can't parse entities: Can't find href")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            raise TelegramRefusal(f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            raise TelegramRefusal("Bad Request: can't parse entities: unescaped < or >")
        self.visible.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            raise TelegramRefusal(
                f'Bad Request: can\'t parse entities: Unsupported HTML entity "&{name};"'
            )
        self.visible.append(unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.visible.append(unescape(f"&#{name};"))

    def unknown_decl(self, data: str) -> None:
        raise TelegramRefusal("Bad Request: can't parse entities")


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text a user sees, after Telegram parsed the entities; refuses bad HTML."""
    if parse_mode is None or parse_mode.upper() != "HTML":
        return text
    if re.search(r"&(?![a-z]+;|#\d+;|#x[0-9a-f]+;)", text, re.IGNORECASE):
        raise TelegramRefusal("Bad Request: can't parse entities: unescaped &")
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.open or parser.rawdata:
        raise TelegramRefusal(
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag"
        )
    return "".join(parser.visible)


def check_request(name: str, params: dict[str, Any]) -> None:
    """Raise TelegramRefusal if Telegram would refuse this call. `params` are plain values
    (dicts and lists, as the request would carry them as JSON)."""
    parse_mode = params.get("parse_mode")
    if name in TEXT_METHODS:
        _check_text(name, params.get("text"), parse_mode, params.get("entities"))
    if name in CAPTION_METHODS and params.get("caption") is not None:
        _check_caption(params["caption"], parse_mode)
    if name == "sendMediaGroup":
        _check_media_group(params.get("media"))
    if name == "answerCallbackQuery":
        text = params.get("text") or ""
        if utf16_length(text) > MAX_ALERT:
            raise TelegramRefusal("Bad Request: MESSAGE_TOO_LONG")
    if name in {"setMyCommands"}:
        _check_commands(params.get("commands") or [], params.get("scope"))
    _check_markup(params.get("reply_markup"))


def _check_text(name: str, text: Any, parse_mode: Any, entities: Any) -> None:
    if not isinstance(text, str) or not text.strip():
        raise TelegramRefusal("Bad Request: message text is empty")
    visible = visible_text(text, parse_mode if entities is None else None)
    if not visible.strip():
        raise TelegramRefusal("Bad Request: message text is empty")
    if utf16_length(visible) > MAX_TEXT:
        if name == "editMessageText":
            raise TelegramRefusal("Bad Request: MESSAGE_TOO_LONG")
        raise TelegramRefusal("Bad Request: message is too long")


def _check_caption(caption: Any, parse_mode: Any) -> None:
    visible = visible_text(str(caption), parse_mode)
    if utf16_length(visible) > MAX_CAPTION:
        raise TelegramRefusal("Bad Request: message caption is too long")


def _check_media_group(media: Any) -> None:
    if not media:
        raise TelegramRefusal("Bad Request: there are no messages to send")
    if len(media) > MEDIA_GROUP[1]:
        raise TelegramRefusal("Bad Request: too many messages to send as an album")
    if len(media) < MEDIA_GROUP[0]:
        raise TelegramRefusal("Bad Request: media group must include 2-10 items")
    kinds = {item.get("type") for item in media}
    if "document" in kinds and kinds != {"document"}:
        raise TelegramRefusal("Bad Request: document can't be mixed with other media types")
    for item in media:
        if item.get("caption") is not None:
            _check_caption(item["caption"], item.get("parse_mode", "HTML"))


def _check_commands(commands: list[dict[str, Any]], scope: Any) -> None:
    if len(commands) > 100:
        raise TelegramRefusal("Bad Request: too many commands")
    for command in commands:
        if not re.fullmatch(r"[a-z0-9_]{1,32}", command.get("command", "")):
            raise TelegramRefusal("Bad Request: BOT_COMMAND_INVALID")
        description = command.get("description", "")
        if not description.strip() or utf16_length(description) > 256:
            raise TelegramRefusal("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
    chat_scoped = isinstance(scope, dict) and scope.get("type") in {"chat", "chat_administrators"}
    if chat_scoped and scope.get("chat_id") in (None, "", 0):
        raise TelegramRefusal("Bad Request: chat not found")


def _check_markup(markup: Any) -> None:
    if not isinstance(markup, dict):
        return
    if "inline_keyboard" in markup:
        buttons = [button for row in markup["inline_keyboard"] for button in row]
        if len(buttons) > MAX_BUTTONS:
            raise TelegramRefusal("Bad Request: BUTTONS_TOO_MUCH")
        for button in buttons:
            if not button.get("text"):
                raise TelegramRefusal("Bad Request: BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise TelegramRefusal("Bad Request: BUTTON_DATA_INVALID")
    if "keyboard" in markup:
        buttons = [button for row in markup["keyboard"] for button in row]
        if len(buttons) > 300:
            raise TelegramRefusal("Bad Request: BUTTONS_TOO_MUCH")
    if markup.get("force_reply"):
        placeholder = markup.get("input_field_placeholder")
        if placeholder is not None and not 1 <= len(placeholder) <= MAX_PLACEHOLDER:
            raise TelegramRefusal("Bad Request: INPUT_FIELD_PLACEHOLDER_INVALID")
