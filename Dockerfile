# The bot in a container: `docker compose up -d` (compose.yaml) runs it in webhook mode with
# PostgreSQL and Redis; README "Deploying" has the steps. Settings come from the environment.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/hearing-state-bot/bin:$PATH \
    DATA_DIR=/data

# The same install CI checks outside the checkout: the lock with its hashes, catalogs compiled.
COPY requirements.lock pyproject.toml README.md LICENSE /src/
COPY deploy/install.sh /src/deploy/
COPY bot /src/bot
COPY handlers /src/handlers
COPY db /src/db
RUN /src/deploy/install.sh /opt/hearing-state-bot && rm -rf /src
COPY deploy/healthcheck.py /opt/hearing-state-bot/healthcheck.py

# A user of its own, owning only DATA_DIR: the SQLite database, backups, matplotlib's cache.
RUN useradd --system --uid 10001 --user-group --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin bot \
    && mkdir /data && chown bot:bot /data
VOLUME /data
USER bot
WORKDIR /data

# /healthz on HEALTH_PORT (polling) or WEBHOOK_PORT (webhook): 200 while the database answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/opt/hearing-state-bot/healthcheck.py"]

# `docker compose run --rm bot migrate` and the other subcommands work the same way.
ENTRYPOINT ["hearing-state-bot"]
CMD ["run"]
