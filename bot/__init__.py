"""Hearing State bot: a Telegram channel between Kazakhstan's public councils and citizens."""
