"""The rules of the bot: deadlines, limits, who may do what. No Telegram types below here,
except in the modules that send messages (notify, digest)."""
