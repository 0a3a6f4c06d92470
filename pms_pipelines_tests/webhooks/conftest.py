from pms_pipelines_tests.webhooks.webhook_stack import webhook_stack  # noqa: F401
