"""Open answers: a secretary publishes an answered question whose citizen allowed it, with its
wording edited to remove personal details if need be, or unpublishes it; citizens read the
published answers in /faq and see the closest ones while they write a question (/ask).

What is published identifies nobody: the wording (the question's text, or the secretary's
edited wording — the question's own text stays as it was, and the audit log keeps every wording
published) and the council's answer, with the council, the topic and the day; never a name, a
username, a Telegram id or a ticket. A wording that names the citizen or holds contact details
is refused, and so is an answer that names the citizen."""

import re
from dataclasses import dataclass
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.services.councils import Staff
from bot.services.errors import CaseRefusal, QuestionRefusal
from bot.services.paging import Page, page_of
from bot.services.questions import MAX_TEXT, MIN_TEXT, QuestionError, check_answer
from bot.services.search import (
    CANDIDATE_BUDGET,
    MIN_WORD,
    candidate_terms,
    enough_shared,
    search_words,
    shares,
    similar_terms,
)
from bot.services.transaction import transaction
from db.models import AuditEntry, Council, Question, QuestionStatus, Topic, User
from db.repositories.councils import CouncilRepository
from db.repositories.published import PublishedRepository
from db.repositories.questions import QuestionRepository
from db.repositories.users import UserRepository

# Similar answers shown while a citizen writes a question; results of /faq <words>.
SIMILAR_SHOWN = 3
FAQ_FOUND = 10
# Candidates the database ranks before the service keeps those sharing enough terms.
CANDIDATES = 10

# Contact details a published wording must not hold: a Telegram username or an e-mail address,
# a phone number (ten digits or more, spaces and dashes between), a long number (a Telegram id,
# an IIN).
_HANDLE = re.compile(r"@[A-Za-z0-9_.-]{3,}")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]{8,}[0-9]")
_LONG_NUMBER = re.compile(r"[0-9]{7,}")
_WORD = re.compile(r"[^\W_]+")


def holds_contacts(text: str) -> bool:
    if _HANDLE.search(text) or _LONG_NUMBER.search(text):
        return True
    return any(sum(c.isdigit() for c in found) >= 10 for found in _PHONE.findall(text))


def names_person(text: str, person: User) -> bool:
    """Whether the text holds the person's name (any part of it of three letters or more, as a
    whole word), username or Telegram id."""
    words = {word.casefold() for word in _WORD.findall(text)}
    parts = {part.casefold() for part in _WORD.findall(person.full_name or "") if len(part) >= 3}
    if parts & words:
        return True
    if person.username and person.username.casefold() in words:
        return True
    return str(person.id) in text


@dataclass(frozen=True)
class Publication:
    """What publishing did: published now, or (`edited`) the published wording changed."""

    question: Question
    edited: bool


@dataclass(frozen=True)
class ConsentTakenBack:
    """The citizen withdrew their consent to publication; `was_published`: it was in /faq."""

    question: Question
    was_published: bool


@dataclass(frozen=True)
class PublishedAnswer:
    """A published answer as anyone may read it."""

    question: Question
    council: Council
    topic: Topic


class PublicationService:
    def __init__(self, session: AsyncSession, settings: Settings, clock: Clock) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        self.published = PublishedRepository(session)
        self.questions = QuestionRepository(session)

    # -- the council's staff ---------------------------------------------------------------

    @transaction
    async def publish(
        self, question: Question, staff: Staff, wording: str | None = None
    ) -> Publication:
        """Publish an answered question that its citizen allowed to be published, in its own
        words or in `wording`; a published one gets the new `wording`."""
        if not staff.can_act(question.council_id):
            raise QuestionError(CaseRefusal.NOT_FOUND)
        if question.status != QuestionStatus.ANSWERED:
            raise QuestionError(CaseRefusal.PUBLISH_NOT_ANSWERED)
        if not question.publish_consent:
            raise QuestionError(CaseRefusal.PUBLISH_NO_CONSENT)
        if wording is not None:
            wording = check_answer(wording, minimum=MIN_TEXT, maximum=MAX_TEXT)
        shown = wording or question.public_text
        await self._check_identifies_nobody(question, shown)
        edited = question.published_at is not None
        if edited and (wording is None or wording == question.public_text):
            raise QuestionError(CaseRefusal.ALREADY_PUBLISHED)
        values: dict[str, object] = {"published_text": wording or question.published_text}
        if not edited:
            values |= {"published_at": self.clock.now(), "published_by": staff.user_id}
        if not await self.published.mark(question.id, values):
            # Answered and allowed when read: since then reopened, or the consent taken back.
            current = await self.questions.get(question.id)
            if current is not None and not current.publish_consent:
                raise QuestionError(CaseRefusal.PUBLISH_NO_CONSENT)
            raise QuestionError(CaseRefusal.PUBLISH_NOT_ANSWERED)
        action = "publish_edited" if edited else "published"
        await self._audit(question, staff.user_id, action, wording)
        current = await self.questions.get(question.id)
        assert current is not None
        return Publication(current, edited)

    @transaction
    async def unpublish(self, question: Question, staff: Staff) -> Question:
        if not staff.can_act(question.council_id):
            raise QuestionError(CaseRefusal.NOT_FOUND)
        if question.published_at is None:
            raise QuestionError(CaseRefusal.NOT_PUBLISHED)
        values = {"published_at": None, "published_by": None}
        allowed = list(QuestionStatus)
        await self.questions.transition(question.id, allowed, values)
        await self._audit(question, staff.user_id, "unpublished", None)
        current = await self.questions.get(question.id)
        assert current is not None
        return current

    async def _check_identifies_nobody(self, question: Question, wording: str) -> None:
        if holds_contacts(wording):
            raise QuestionError(CaseRefusal.PUBLISH_CONTACTS)
        # Only a signed question is checked against its author: for an anonymous one, the
        # refusal would tell the staff something of who wrote it.
        if question.anonymous:
            return
        citizen = await UserRepository(self.session).get(question.citizen_id)
        if citizen is None:
            return
        if names_person(wording, citizen):
            raise QuestionError(CaseRefusal.PUBLISH_NAMES_CITIZEN)
        if names_person(question.resolution or "", citizen):
            raise QuestionError(CaseRefusal.ANSWER_NAMES_CITIZEN)

    async def _audit(
        self, question: Question, actor_id: int, action: str, detail: str | None
    ) -> None:
        await self.questions.audit(
            AuditEntry(
                at=self.clock.now(),
                actor_id=actor_id,
                council_id=question.council_id,
                question_id=question.id,
                action=action,
                detail=detail,
            )
        )

    # -- citizens ---------------------------------------------------------------------------

    @transaction
    async def take_back_consent(self, question_id: int, citizen_id: int) -> ConsentTakenBack:
        """The citizen no longer allows their question to be published: it never will be, and
        comes off /faq at once if it is there. Someone else's question looks like a missing
        one; consent not given, or taken back already, is refused."""
        question = await self.questions.get(question_id)
        if question is None or question.citizen_id != citizen_id:
            raise QuestionError(QuestionRefusal.NOT_FOUND)
        was_published = question.is_published
        if not await self.published.take_back_consent(question.id, citizen_id):
            raise QuestionError(QuestionRefusal.NOT_TO_PUBLISH, ticket=question.ticket)
        await self._audit(question, citizen_id, "consent_withdrawn", None)
        current = await self.questions.get(question.id)
        assert current is not None
        return ConsentTakenBack(current, was_published)

    async def scope(self, citizen_id: int) -> set[int] | None:
        """Whose answers /faq shows a citizen: the councils they have asked or subscribed to;
        every council (None) when there are none."""
        return await self.published.councils_of(citizen_id) or None

    async def topics(self, citizen_id: int) -> list[tuple[Topic, int]]:
        return await self.published.topics(await self.scope(citizen_id))

    async def page(
        self, citizen_id: int, topic_id: int | None, page: int, per_page: int
    ) -> Page[Question]:
        """One page of the published answers (of one topic), the newest first."""
        scope = await self.scope(citizen_id)
        total = await self.published.count(scope, topic_id)
        return await page_of(
            total, page, per_page, partial(self.published.newest, scope, topic_id)
        )

    async def search(self, citizen_id: int, text: str) -> list[Question]:
        """/faq <words>: the published answers closest to the words, the best first."""
        if not search_words(text):
            raise QuestionError(QuestionRefusal.FAQ_NO_WORDS, minimum=MIN_WORD)
        return await self._similar(text, await self.scope(citizen_id), FAQ_FOUND)

    async def similar(self, council_id: int, text: str) -> list[Question]:
        """Up to three published answers of the council that look like the question."""
        return await self._similar(text, {council_id}, SIMILAR_SHOWN)

    async def search_in(self, council_ids: set[int], text: str, limit: int) -> list[Question]:
        """These councils' published answers closest to the words, the best first (the council's
        public page searches with it)."""
        return await self._similar(text, council_ids, limit)

    async def _similar(
        self, text: str, council_ids: set[int] | None, limit: int
    ) -> list[Question]:
        terms = similar_terms(text)
        if not terms:
            return []
        frequencies = await self.published.frequencies(terms, CANDIDATE_BUDGET + 1)
        found = await self.published.ranked(
            terms,
            council_ids,
            max(CANDIDATES, limit),
            looked_for=candidate_terms(terms, frequencies),
            frequencies=frequencies,
        )
        needed = enough_shared(terms)
        kept = [
            question
            for question in found
            if shares(terms, f"{question.public_text}\n{question.resolution or ''}") >= needed
        ]
        return kept[:limit]

    async def read(self, question_id: int) -> PublishedAnswer:
        """A published answer; one unpublished meanwhile is refused."""
        question = await self.published.get(question_id)
        if question is None:
            raise QuestionError(QuestionRefusal.NOT_PUBLISHED)
        councils = CouncilRepository(self.session)
        council = await councils.get(question.council_id)
        topic = await councils.topic(question.topic_id)
        assert council is not None and topic is not None
        return PublishedAnswer(question, council, topic)
