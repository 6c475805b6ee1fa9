"""The daily backup of an SQLite database into BACKUP_DIR (DATA_DIR/backups), keeping the last
BACKUP_KEEP. The copy is taken in a worker thread on a connection of its own, so the bot goes on
answering and writing meanwhile (bot/backup.py says why the copy is consistent)."""

import asyncio
import logging
from pathlib import Path

from bot import metrics
from bot.backup import BackupError, backup_to, rotate, sqlite_file
from bot.clock import Clock
from bot.config import Settings

logger = logging.getLogger(__name__)


class BackupJob:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    async def run(self) -> Path | None:
        """The new backup's path; None when it failed (logged at ERROR, tried again tomorrow)."""
        database = sqlite_file(self.settings.database_url)
        if database is None:
            return None
        directory = self.settings.backups
        now = self.clock.now()
        try:
            path = await asyncio.to_thread(
                backup_to, self.settings.database_url, None, directory, now
            )
            removed = await asyncio.to_thread(
                rotate, directory, database, self.settings.backup_keep
            )
        except (BackupError, OSError) as exc:
            logger.error("backup failed: %s", exc)
            return None
        metrics.LAST_BACKUP.set(now.timestamp())
        logger.info(
            "backup written to %s (%.1f MB); %d older removed, the last %d kept",
            path,
            path.stat().st_size / 1_000_000,
            len(removed),
            self.settings.backup_keep,
        )
        return path
