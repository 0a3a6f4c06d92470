"""An integration that failed to load gets a sensor whose every tick fails with the
load error, so the UI shows what is wrong while every other PMS runs as usual."""

from dagster import DefaultSensorStatus, Failure, SensorDefinition, sensor


def unavailable_sensor(name: str, error: str) -> SensorDefinition:
    @sensor(
        name=f"{name}_unavailable",
        minimum_interval_seconds=300,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"The {name} integration failed to load; its pulls are not defined.",
    )
    def report_unavailable(context):  # noqa: ANN001,ANN202
        raise Failure(f"integration {name} failed to load: {error}")

    return report_unavailable
