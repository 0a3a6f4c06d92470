"""The integration kit: what every PMS integration shares (contract, HTTP policy, errors)."""

from pms_pipelines.integrations.kit.errors import PmsApiError, ReauthorisationRequired
from pms_pipelines.integrations.kit.http import ApiSender, RateWindow, RetryPolicy
from pms_pipelines.integrations.kit.integration import Integration, PullRequest, Rejected

__all__ = [
    "ApiSender", "Integration", "PmsApiError", "PullRequest", "RateWindow", "Rejected",
    "ReauthorisationRequired", "RetryPolicy",
]
