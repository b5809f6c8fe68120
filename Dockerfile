# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md babel.cfg ./
COPY bot ./bot
COPY locales ./locales
RUN python -m venv /opt/chapterbot \
 && /opt/chapterbot/bin/pip install --no-cache-dir . \
 && /opt/chapterbot/bin/pybabel compile -d locales \
 && CHAPTERBOT_CACHE_DIR=/opt/chapterbot-cache /opt/chapterbot/bin/chapterbot places build

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 chapterbot
COPY --from=build /opt/chapterbot /opt/chapterbot
COPY --from=build /src/locales /opt/chapterbot-locales
COPY --from=build --chown=chapterbot /opt/chapterbot-cache /opt/chapterbot-cache
ENV PATH=/opt/chapterbot/bin:$PATH \
    CHAPTERBOT_LOCALES_DIR=/opt/chapterbot-locales \
    CHAPTERBOT_CACHE_DIR=/opt/chapterbot-cache \
    CHAPTERBOT_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
RUN mkdir /data && chown chapterbot /data
USER chapterbot
WORKDIR /data
VOLUME ["/data"]
CMD ["chapterbot", "run"]
