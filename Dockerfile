# One image for every Dagster task in AWS: webserver, daemon, code location, runs and the
# migration task (ECS chooses the command). Built from the pinned requirements.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/var/lib/dagster \
    PMS_ENV=prod

RUN groupadd --system --gid 10001 dagster \
    && useradd --system --uid 10001 --gid dagster --home-dir /opt/dagster --shell /usr/sbin/nologin dagster \
    && mkdir -p /opt/dagster/app /var/lib/dagster \
    && chown dagster:dagster /var/lib/dagster

WORKDIR /opt/dagster/app

# Dependencies first, so a code-only change reuses this layer.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY setup.py setup.cfg pyproject.toml ./
COPY pms_pipelines ./pms_pipelines
COPY deploy ./deploy
RUN pip install --no-deps . \
    && chmod 0755 deploy/entrypoint.sh

USER dagster:dagster
EXPOSE 3000 4000

ENTRYPOINT ["/opt/dagster/app/deploy/entrypoint.sh"]
CMD ["dagster", "code-server", "start", "--host", "0.0.0.0", "--port", "4000", "--module-name", "pms_pipelines.definitions", "--location-name", "pms_pipelines"]
