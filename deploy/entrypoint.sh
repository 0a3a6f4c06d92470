#!/bin/sh
# Container entrypoint for every Dagster task (webserver, daemon, code location, runs).
# The root filesystem is read-only in ECS, so the instance config is copied into
# DAGSTER_HOME (a scratch volume) before the command runs. The EcsRunLauncher replaces
# only the command, so runs pass through here too.
set -eu
mkdir -p "$DAGSTER_HOME"
cp /opt/dagster/app/deploy/dagster.prod.yaml "$DAGSTER_HOME/dagster.yaml"
exec "$@"
