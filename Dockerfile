# One image for every Dagster task in AWS: webserver, daemon, code location, runs, the
# webhook receiver and the migration task (ECS chooses the command). Two stages: the
# first installs the pinned production requirements (requirements.txt only: none of the
# local stack's packages) into a virtualenv; the second carries that virtualenv and the
# code, no build residue, and runs as an unprivileged user.
ARG PYTHON_BASE=python:3.11-slim-bookworm

FROM ${PYTHON_BASE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, so a code-only change reuses this layer.
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY setup.py setup.cfg pyproject.toml ./
COPY pms_pipelines ./pms_pipelines
RUN pip install --no-deps . && pip uninstall --yes pip setuptools

FROM ${PYTHON_BASE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DAGSTER_HOME=/var/lib/dagster \
    PMS_ENV=prod

RUN groupadd --system --gid 10001 dagster \
    && useradd --system --uid 10001 --gid dagster --home-dir /opt/dagster --shell /usr/sbin/nologin dagster \
    && mkdir -p /opt/dagster/app /var/lib/dagster \
    && chown dagster:dagster /var/lib/dagster

COPY --from=build /opt/venv /opt/venv
WORKDIR /opt/dagster/app
COPY deploy/entrypoint.sh ./deploy/entrypoint.sh
COPY deploy/dagster.prod.yaml deploy/workspace.prod.yaml ./deploy/
RUN chmod 0755 deploy/entrypoint.sh

USER 10001:10001
EXPOSE 3000 4000 8090

ENTRYPOINT ["/opt/dagster/app/deploy/entrypoint.sh"]
CMD ["dagster", "code-server", "start", "--host", "0.0.0.0", "--port", "4000", "--module-name", "pms_pipelines.definitions", "--location-name", "pms_pipelines"]
