"""What the bot serves to browsers: each council's public page (bot/web/public.py)."""
