"""The container's HEALTHCHECK: exit 0 when the bot's /healthz answers 200 (the process is up
and its database answers), 1 otherwise. Standard library only, so it costs little every 30 s.

The port: HEALTH_PORT (the health server of polling mode), else WEBHOOK_PORT (webhook mode
serves /healthz beside the webhook), else 8080."""

import os
import sys
import urllib.request

port = os.environ.get("HEALTH_PORT") or os.environ.get("WEBHOOK_PORT") or "8080"
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=4) as response:
        healthy = response.status == 200
except OSError as exc:  # refused, timed out, or an HTTP error such as 503
    print(f"unhealthy: http://127.0.0.1:{port}/healthz: {exc}", file=sys.stderr)
    sys.exit(1)
sys.exit(0 if healthy else 1)
