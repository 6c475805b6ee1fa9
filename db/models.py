"""Database models. Times are aware UTC; Telegram ids are 64-bit."""

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UTCDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    full_name: Mapped[str] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64))
    # The language the user picked; None until they pick one.
    language: Mapped[str | None] = mapped_column(String(8))
    # Telegram's raw language_code, kept for statistics; never used to choose the language.
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    # False once the user has blocked the bot; True again when they come back.
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the user agreed to the personal-data notice; None if never, or withdrawn.
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def _values(enum_class: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_class]


class Council(Base):
    __tablename__ = "councils"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_kk: Mapped[str] = mapped_column(String(256))
    name_ru: Mapped[str] = mapped_column(String(256))
    name_en: Mapped[str] = mapped_column(String(256))
    timezone: Mapped[str] = mapped_column(String(64))
    # Language of the council's staff group and of its texts when a citizen's is missing.
    default_language: Mapped[str] = mapped_column(String(8))
    staff_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def name(self, language: str) -> str:
        return str(getattr(self, f"name_{language}", None) or self.name_ru)


class Topic(Base):
    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    name_kk: Mapped[str] = mapped_column(String(128))
    name_ru: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_hidden: Mapped[bool] = mapped_column(Boolean, default=False)

    def name(self, language: str) -> str:
        return str(getattr(self, f"name_{language}", None) or self.name_ru)


class StaffRole(enum.StrEnum):
    """A member of a council's staff: a secretary, or its chair (a secretary who also gets the
    daily escalation digest)."""

    SECRETARY = "secretary"
    CHAIR = "chair"


class Secretary(Base):
    """A member of a council's staff, in a role."""

    __tablename__ = "secretaries"
    __table_args__ = (UniqueConstraint("council_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    role: Mapped[StaffRole] = mapped_column(
        Enum(StaffRole, native_enum=False, length=16, values_callable=_values),
        default=StaffRole.SECRETARY,
        server_default=StaffRole.SECRETARY.value,
    )


class Invite(Base):
    __tablename__ = "invites"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What whoever opens it becomes.
    role: Mapped[StaffRole] = mapped_column(
        Enum(StaffRole, native_enum=False, length=16, values_callable=_values),
        default=StaffRole.SECRETARY,
        server_default=StaffRole.SECRETARY.value,
    )


class Ban(Base):
    """A citizen barred from asking one council; secretaries never learn who it is."""

    __tablename__ = "bans"
    __table_args__ = (UniqueConstraint("council_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TicketCounter(Base):
    """One ticket sequence per year: №2026-000001, №2026-000002, …"""

    __tablename__ = "ticket_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class QuestionStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    REJECTED = "rejected"
    # Sent on by competence: to another council of the bot (which got it as a new question) or
    # to a body outside the bot.
    FORWARDED = "forwarded"
    # Withdrawn by the citizen while it was still new: closed, nothing more to do.
    WITHDRAWN = "withdrawn"
    # Answered or rejected, then objected to by the citizen: open again at the same council.
    REOPENED = "reopened"


# The column is a non-native enum (VARCHAR(16), no CHECK constraint: SQLAlchemy 2 creates none
# unless asked), so a new status needs no migration as long as its value fits 16 characters.
OPEN_STATUSES = (QuestionStatus.NEW, QuestionStatus.IN_PROGRESS, QuestionStatus.REOPENED)
# Where a secretary may take a question into work from.
TAKEABLE_STATUSES = (QuestionStatus.NEW, QuestionStatus.REOPENED)


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("year", "number"),
        Index("ix_questions_citizen_created", "citizen_id", "created_at"),
        Index("ix_questions_council_status_due", "council_id", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id"))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    anonymous: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str] = mapped_column(Text)
    attachment_kind: Mapped[str | None] = mapped_column(String(16))
    attachment_file_id: Mapped[str | None] = mapped_column(String(256))
    # Set by the confirm step; a second press of "Send" cannot register the question twice.
    draft_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The question this one follows up, after that one was answered.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"), unique=True)
    status: Mapped[QuestionStatus] = mapped_column(
        Enum(QuestionStatus, native_enum=False, length=16, values_callable=_values),
        default=QuestionStatus.NEW,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_date: Mapped[date] = mapped_column(Date)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    taken_by: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    # The answer when answered, the reason when rejected.
    resolution: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A reasoned extension of the answer period (due_date is then the new date).
    extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    extension_reason: Mapped[str | None] = mapped_column(Text)
    # The secretary who holds it: taking assigns it to oneself; /assign to another.
    assigned_to: Mapped[int | None] = mapped_column(BigInteger, index=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where it was forwarded when FORWARDED: the other council's name or a body outside the bot.
    forwarded_to: Mapped[str | None] = mapped_column(String(256))
    # The question at the council that forwarded it here (its history travels with it).
    forwarded_from_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"))
    # The citizen changed the text while the question was new (the earlier text is in the audit
    # log's "edited" line).
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The citizen's one objection to the answer or rejection, which reopened the question.
    objected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    objection: Mapped[str | None] = mapped_column(Text)
    # The citizen allowed the council to publish the question and its answer without their name
    # (asked by /ask; no by default).
    publish_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Published (in /faq and as a similar answer during /ask) by a secretary, while answered.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by: Mapped[int | None] = mapped_column(BigInteger)
    # The wording published when a secretary edited out personal details; None: `text` itself.
    # The question's own text never changes (the audit log keeps each wording published).
    published_text: Mapped[str | None] = mapped_column(Text)

    @property
    def ticket(self) -> str:
        return format_ticket(self.year, self.number)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.status == QuestionStatus.ANSWERED

    @property
    def public_text(self) -> str:
        """The question as published: the edited wording, or its own text."""
        return self.published_text or self.text


def format_ticket(year: int, number: int) -> str:
    return f"№{year}-{number:06d}"


class QuestionAttachment(Base):
    """A file sent with a question (part "question") or with its answer (part "answer"): one,
    or each file of an album (up to 10), in order; a voice message or a video note too."""

    __tablename__ = "question_attachments"
    __table_args__ = (UniqueConstraint("question_id", "part", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    part: Mapped[str] = mapped_column(String(8), default="question", server_default="question")
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # photo | document | voice | video_note
    file_id: Mapped[str] = mapped_column(String(256))
    # Seconds, for a voice message or a video note (the card shows it).
    duration: Mapped[int | None] = mapped_column(Integer)


class QuestionCard(Base):
    """A card about a question posted to a staff chat, so replying to it answers the question."""

    __tablename__ = "question_cards"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)


class AuditEntry(Base):
    """Who did what, when, to which ticket. Actor ids stay inside the database."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_question", "question_id", "at"),
        # /audit: a council's latest entries (measured: 500 000 entries, 7 days of one council
        # in 6 ms instead of 86 on SQLite).
        Index("ix_audit_log_council_at", "council_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    council_id: Mapped[int | None] = mapped_column(ForeignKey("councils.id", ondelete="SET NULL"))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)


class DigestSent(Base):
    """One row per secretary and working day: the digest is claimed here before it is sent."""

    __tablename__ = "digests_sent"
    __table_args__ = (UniqueConstraint("council_id", "user_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReportSent(Base):
    """One row per report, reader and period, claimed before the report is sent: a chair's
    escalation digest (scope: the council, period: the day) or a superadmin's weekly summary
    (scope: 0, all councils; period: the summary's day)."""

    __tablename__ = "reports_sent"
    __table_args__ = (UniqueConstraint("kind", "user_id", "scope", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # escalation | weekly
    user_id: Mapped[int] = mapped_column(BigInteger)
    scope: Mapped[int] = mapped_column(Integer)
    period: Mapped[date] = mapped_column(Date)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subscription(Base):
    """A citizen's subscription to a council's announcements; kept when they unsubscribe."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("user_id", "council_id"),
        Index("ix_subscriptions_council_active", "council_id", "active", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BroadcastStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    STOPPED = "stopped"


class BroadcastKind(enum.StrEnum):
    """What a broadcast is, which decides its audience and its buttons."""

    # A secretary's announcement to the council's subscribers.
    ANNOUNCEMENT = "announcement"
    # An event announced to the council's subscribers, with "I will attend".
    EVENT = "event"
    # A reminder before an event, to those registered (at one venue).
    REMINDER = "reminder"
    # An event changed or cancelled: told to everyone registered or waiting.
    EVENT_NOTICE = "event_notice"


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (
        Index("ix_broadcasts_status_scheduled", "status", "scheduled_at"),
        Index("ix_broadcasts_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    kind: Mapped[BroadcastKind] = mapped_column(
        Enum(BroadcastKind, native_enum=False, length=16, values_callable=_values),
        default=BroadcastKind.ANNOUNCEMENT,
        server_default=BroadcastKind.ANNOUNCEMENT.value,
    )
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # A reminder goes to the registrants of one venue, so it can name their venue.
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("event_venues.id", ondelete="CASCADE"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    # HTML (Telegram's subset, user text escaped); at least one of the three.
    text_kk: Mapped[str | None] = mapped_column(Text)
    text_ru: Mapped[str | None] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    # None: every subscriber of the council; "kk" | "ru" | "en": only those reading it.
    audience_language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[BroadcastStatus] = mapped_column(
        Enum(BroadcastStatus, native_enum=False, length=16, values_callable=_values)
    )
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Recipients are fixed (one delivery row each) once, when the broadcast starts.
    recipients_fixed: Mapped[bool] = mapped_column(Boolean, default=False)
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The process sending it, and until when its claim holds: it renews the lease with every
    # chunk; when a process dies, another takes the broadcast over once the lease has run out.
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def text(self, language: str) -> str | None:
        return getattr(self, f"text_{language}", None)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    # Claimed and handed to Telegram; no answer recorded yet.
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    # Was SENDING when the process died: maybe delivered, never sent again.
    UNCERTAIN = "uncertain"


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "user_id"),
        Index("ix_deliveries_broadcast_status", "broadcast_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16, values_callable=_values)
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(256))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    # Public from `publish_at` on; announced to subscribers then.
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class Event(Base):
    """A council's event: a round table in every rural library of a district, a two-day
    conference-seminar. Texts per language (at least one); venues, contacts and times below."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_council_status_starts", "council_id", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    # Titles are plain text; descriptions are Telegram HTML with the user's text escaped.
    title_kk: Mapped[str | None] = mapped_column(String(256))
    title_ru: Mapped[str | None] = mapped_column(String(256))
    title_en: Mapped[str | None] = mapped_column(String(256))
    description_kk: Mapped[str | None] = mapped_column(Text)
    description_ru: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    contact_person: Mapped[str | None] = mapped_column(String(256))
    contact_phones: Mapped[str | None] = mapped_column(String(256))
    contact_email: Mapped[str | None] = mapped_column(String(256))
    # Who it is for, in the language of the texts beside it.
    audience_kk: Mapped[str | None] = mapped_column(String(512))
    audience_ru: Mapped[str | None] = mapped_column(String(512))
    audience_en: Mapped[str | None] = mapped_column(String(512))
    # Lead times of the reminders, such as "24h,1h"; None: the deployment's EVENT_REMINDERS.
    reminders: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[EventStatus] = mapped_column(
        Enum(EventStatus, native_enum=False, length=16, values_callable=_values)
    )
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set, atomically, by whoever creates the announcement broadcast: it is announced once.
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def title(self, language: str) -> str | None:
        return getattr(self, f"title_{language}", None)

    def description(self, language: str) -> str | None:
        return getattr(self, f"description_{language}", None)

    def audience(self, language: str) -> str | None:
        return getattr(self, f"audience_{language}", None)


class EventVenue(Base):
    __tablename__ = "event_venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(256))
    address: Mapped[str | None] = mapped_column(String(512))
    # None: no limit. `taken` counts places given (registered), changed only by conditional
    # UPDATEs, so two citizens can never take the last place together.
    capacity: Mapped[int | None] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer, default=0)
    # How many wait at the venue: kept by triggers on `registrations` (migration 0016; on
    # PostgreSQL at each commit), never written by the application; a venue loaded before a
    # change does not show it.
    waiting: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # How many came, recorded by the secretary after the event.
    attended: Mapped[int | None] = mapped_column(Integer)


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class Registration(Base):
    """A citizen's "I will attend": one row per event and citizen, kept when cancelled."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index("ix_registrations_venue_status_queued", "venue_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("event_venues.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[RegistrationStatus] = mapped_column(
        Enum(RegistrationStatus, native_enum=False, length=16, values_callable=_values)
    )
    # Orders the waiting list: first come, first served.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventReminder(Base):
    """A reminder claimed for one lead time before one start time of an event (a moved event
    gets new ones). The unique row is the claim: each reminder is made once, across restarts."""

    __tablename__ = "event_reminders"
    __table_args__ = (UniqueConstraint("event_id", "starts_at", "lead_seconds"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lead_seconds: Mapped[int] = mapped_column(Integer)
    # False when a shorter reminder was due at the same time (the bot was down): not sent.
    sent: Mapped[bool] = mapped_column(Boolean)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessedUpdate(Base):
    """A Telegram update one replica has taken: Telegram may deliver an update to a webhook
    twice, and the second time it is skipped. Rows older than Telegram's retry window go."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
