"""An alert is built only from allow-listed fields: identifiers (job, run id, partition,
agency, step, error class, asset, check) made safe, one scrubbed line of text, and a
link to the run in the Dagster UI. Nothing else from a run or a check reaches it."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from urllib.parse import quote

from pms_pipelines.alerts.sanitize import safe_identifier, scrub_first_line

# Dagster explains any SIGKILL of a run or step process as running out of memory
# (dagster._utils.get_run_crash_explanation). A signal says only that the process was
# killed; by whom is for the reader to find out, so the guess is replaced by the choices.
_SIGNAL_GUESS = re.compile(
    r"(was terminated by signal \d+ \((\w+)\)\.) This usually indicates that the process "
    r"was killed by the operating system due to running out of memory\..*", re.DOTALL)


def explain_signal(text: str | None) -> str | None:
    """`text` with Dagster's out-of-memory guess for a killed process replaced by what a
    signal can mean."""
    if text is None:
        return None
    return _SIGNAL_GUESS.sub(
        lambda m: f"{m.group(1)} Not necessarily memory: kill, deploy and termination "
        "send it too; look for OOM events.", text)


RUN_FAILURE = "run_failure"
CHECK_FAILURE = "check_failure"
SNS_SUBJECT_LIMIT = 100


@dataclass(frozen=True)
class Alert:
    kind: str  # RUN_FAILURE or CHECK_FAILURE
    title: str
    run_id: str | None
    job: str | None = None
    partition: str | None = None
    agency: str | None = None
    step: str | None = None
    error_class: str | None = None
    summary: str = ""
    asset: str | None = None
    check: str | None = None
    severity: str | None = None
    url: str | None = None

    def fields(self) -> dict[str, str]:
        """The set fields, in declaration order (what SNS carries as JSON)."""
        return {name: value for name, value in asdict(self).items() if value}


def run_url(ui_base_url: str | None, run_id: str) -> str | None:
    return f"{ui_base_url.rstrip('/')}/runs/{quote(run_id)}" if ui_base_url else None


def run_failure_alert(
    *,
    job: str,
    run_id: str,
    partition: str | None,
    agency: str | None,
    steps: list[str],
    error_class: str | None,
    error_message: str | None,
    ui_base_url: str | None,
) -> Alert:
    safe_job = safe_identifier(job)
    return Alert(
        kind=RUN_FAILURE,
        title=f"Run failed: {safe_job}",
        job=safe_job,
        run_id=safe_identifier(run_id),
        partition=safe_identifier(partition),
        agency=safe_identifier(agency),
        step=safe_identifier(", ".join(steps)) if steps else None,
        error_class=safe_identifier(error_class),
        summary=scrub_first_line(explain_signal(error_message)),
        url=run_url(ui_base_url, run_id),
    )


def check_failure_alert(
    *,
    asset: str,
    check: str,
    severity: str,
    run_id: str | None,
    job: str | None,
    partition: str | None,
    summary: str | None,
    ui_base_url: str | None,
) -> Alert:
    safe_asset, safe_check = safe_identifier(asset), safe_identifier(check)
    return Alert(
        kind=CHECK_FAILURE,
        title=f"Check failed: {safe_asset} {safe_check}",
        job=safe_identifier(job),
        run_id=safe_identifier(run_id),
        partition=safe_identifier(partition),
        asset=safe_asset,
        check=safe_check,
        severity=safe_identifier(severity),
        summary=scrub_first_line(summary),
        url=run_url(ui_base_url, run_id) if run_id else None,
    )


_LABELS = {
    "job": "Job", "run_id": "Run", "partition": "Partition", "agency": "Agency",
    "step": "Step", "error_class": "Error", "asset": "Asset", "check": "Check",
    "severity": "Severity",
}


def _escape(text: str) -> str:
    """Slack's three control characters; also stops `<!channel>` and link injection."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(alert: Alert) -> dict:
    """A Slack incoming-webhook body: `text` (what notifications and Slack-compatible
    receivers show) and `blocks` (the same, laid out)."""
    fields = alert.fields()
    lines = [f":rotating_light: *{_escape(alert.title)}*"]
    lines += [f"{label}: `{_escape(fields[key])}`" for key, label in _LABELS.items() if key in fields]
    if alert.summary:
        lines.append(f"> {_escape(alert.summary)}")
    if alert.url:
        lines.append(f"<{alert.url}|Open in Dagster>")
    text = "\n".join(lines)
    return {
        "text": text,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": alert.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines[1:]) or "-"}},
        ],
    }


def sns_subject(alert: Alert) -> str:
    """SNS subjects: ASCII, no newlines, at most 100 characters."""
    subject = f"[pms-pipelines] {alert.title}".encode("ascii", "replace").decode()
    return subject[:SNS_SUBJECT_LIMIT]


def sns_message(alert: Alert) -> str:
    return json.dumps(alert.fields(), sort_keys=False)
