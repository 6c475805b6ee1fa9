"""Database models. Times are aware UTC; Telegram ids are 64-bit."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, String
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
