"""Shared fixtures: each lives in a module of `fixtures/` named after what it starts."""

from pms_pipelines_tests.fixtures.aws import *  # noqa: F401,F403
from pms_pipelines_tests.fixtures.postgres import *  # noqa: F401,F403
from pms_pipelines_tests.fixtures.sandbox import *  # noqa: F401,F403
from pms_pipelines_tests.fixtures.tokens import *  # noqa: F401,F403
from pms_pipelines_tests.fixtures.webhooks import *  # noqa: F401,F403

pytest_plugins = ["pms_pipelines_tests.sandbox_spec_watch"]
