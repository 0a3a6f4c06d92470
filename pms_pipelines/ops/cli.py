"""`python -m pms_pipelines.ops <command>`: the operations of the Dagster `ops_*` jobs,
for scripts and terminals. Settings come from the environment, as for the pipeline:
`PMS_DATABASE_URL`, `PMS_STREAM_NAME`, `AWS_ENDPOINT_URL` (local), and for `resync` the
webserver's URL (`--dagster-url`, default `$DAGSTER_URL` or http://127.0.0.1:3000).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime
from typing import Any

from tqdm import tqdm

from pms_pipelines.ops import aware_time

EXAMPLES = """examples:
  python -m pms_pipelines.ops replay --from trim_horizon
  python -m pms_pipelines.ops replay --from timestamp --timestamp 2026-11-26T04:00:00Z
  python -m pms_pipelines.ops replay --from sequence_number --shard shardId-000000000000 \\
      --sequence-number 4959...
  python -m pms_pipelines.ops redrive --reason "unknown entity" --dry-run
  python -m pms_pipelines.ops resync --pms buildium --agency acme --wait
  python -m pms_pipelines.ops register --pms buildium --agency acme --name "Acme Lets" \\
      --credentials-ref env:PMS_CRED_BUILDIUM_ACME
  python -m pms_pipelines.ops disable --pms buildium --agency acme
  python -m pms_pipelines.ops acknowledge-gap --shard shardId-000000000001
"""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, LookupError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pms_pipelines.ops",
        description="Operate the pipeline: replay the stream, re-drive dead letters, "
        "re-sync or register agencies. Each command is also a Dagster job (ops_*).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    replay = commands.add_parser(
        "replay", help="move shards' checkpoints back so the consumer reads them again",
        description="Move the checkpoints of the chosen shards (default: all) back to a "
        "position; the consumer sensor then reads them again. Never moves a checkpoint "
        "forward. Rows change only where a replayed event is newer than the stored row "
        "(a restored database); after a loader or mapping fix, re-sync instead.")
    replay.add_argument("--from", dest="start", required=True,
                        choices=["trim_horizon", "timestamp", "sequence_number"])
    replay.add_argument("--timestamp", type=_aware_time,
                        help="ISO 8601 with a time zone, e.g. 2026-11-26T04:00:00Z")
    replay.add_argument("--sequence-number", help="with --from sequence_number and one --shard")
    replay.add_argument("--shard", action="append", default=[],
                        help="shard id (repeatable); default: every shard")
    replay.add_argument("--dry-run", action="store_true", help="say what would move, move nothing")
    replay.set_defaults(run=_replay)

    redrive = commands.add_parser(
        "redrive", help="re-apply pending dead letters with the current code",
        description="Decode pending consume-stage dead letters again with the current code; "
        "apply those now valid (version rule: always safe) and mark them re-driven. "
        "Filters combine (AND).")
    redrive.add_argument("--id", type=int, action="append", help="dead letter id (repeatable)")
    redrive.add_argument("--reason", help="only letters whose reason contains this text")
    redrive.add_argument("--received-after", type=_aware_time, help="ISO 8601, inclusive")
    redrive.add_argument("--received-before", type=_aware_time, help="ISO 8601, exclusive")
    redrive.add_argument("--limit", type=int, default=10_000, help="at most this many (oldest first)")
    redrive.add_argument("--dry-run", action="store_true",
                         help="only say which would now load and which are still invalid")
    redrive.set_defaults(run=_redrive)

    resync = commands.add_parser(
        "resync", help="full pull of an agency, as a backfill through a running Dagster",
        description="Launch a backfill of the agency's partition of every pull asset of its "
        "PMS with full: true, through the webserver's GraphQL API (dagster dev or the "
        "deployed webserver); its daemon launches the runs, one per agency at a time.")
    resync.add_argument("--pms", required=True)
    resync.add_argument("--agency", action="append", required=True,
                        help="agency id (repeatable)")
    resync.add_argument("--dagster-url",
                        default=os.environ.get("DAGSTER_URL", "http://127.0.0.1:3000"))
    resync.add_argument("--wait", action="store_true",
                        help="wait for the backfills to finish, with a progress bar")
    resync.set_defaults(run=_resync)

    register = commands.add_parser(
        "register", help="register an agency (or update it); the sensor then pulls it",
        description="Add or update an agency in the registry. The agency sensor then adds "
        "its partition and starts its first full pull.")
    register.add_argument("--pms", required=True)
    register.add_argument("--agency", required=True)
    register.add_argument("--name", required=True, help="display name")
    register.add_argument("--credentials-ref", required=True,
                          help="env:<VAR>, secretsmanager:<name or arn> or file:<path>.json "
                          "(where the secret lives, never the secret)")
    register.add_argument("--webhook-account",
                          help="how the PMS's webhooks name the agency (Buildium AccountId, "
                          "Reapit customerId, Alto agencyRef); without it, polled only")
    register.add_argument("--disabled", action="store_true", help="register it disabled")
    register.add_argument("--no-check", action="store_true",
                          help="store it without resolving the credentials and trying them "
                          "against the PMS (e.g. a secretsmanager: reference this machine "
                          "cannot read)")
    register.set_defaults(run=_register)

    for name, enabled in (("disable", False), ("enable", True)):
        command = commands.add_parser(
            name, help=f"{name} an agency: schedules {'stop' if not enabled else 'resume'} "
            "pulling it",
            description=f"{name.capitalize()} a registered agency. Disabled agencies are not "
            "pulled; their rows, watermarks and partition stay.")
        command.add_argument("--pms", required=True)
        command.add_argument("--agency", required=True)
        if not enabled:
            command.add_argument(
                "--dagster-url", default=os.environ.get("DAGSTER_URL", "http://127.0.0.1:3000"),
                help="the webserver asked to cancel the agency's queued runs")
        command.set_defaults(run=_set_enabled, enabled=enabled)

    gap = commands.add_parser(
        "acknowledge-gap", help="let a shard with a retention gap go on, after the re-sync",
        description="A shard whose checkpoint fell off the stream's retention is stopped "
        "(the stream's retention_gap check). After a full pull of the affected agencies "
        "(resync), acknowledge the gap so the consumer reads the shard again.")
    chosen = gap.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--shard", action="append", help="shard id (repeatable)")
    chosen.add_argument("--all", action="store_true", help="every shard with a gap")
    gap.set_defaults(run=_acknowledge_gap)
    return parser


def _aware_time(text: str) -> datetime:
    try:
        return aware_time(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _stream() -> str:
    stream = os.environ.get("PMS_STREAM_NAME")
    if not stream:
        raise ValueError("PMS_STREAM_NAME is not set")
    return stream


def _connect(application: str) -> Any:
    from pms_pipelines.db.connection import connect, database_url

    return connect(database_url(), application_name=application)


def _replay(args: argparse.Namespace) -> int:
    from pms_pipelines.aws import kinesis_client
    from pms_pipelines.ops.replay import ReplayStart, replay

    stream = _stream()
    start = ReplayStart(args.start, timestamp=args.timestamp,
                        sequence_number=args.sequence_number)
    kinesis = kinesis_client()
    with _connect("pms-ops-replay") as conn, tqdm(desc="shards", unit="shard",
                                                   file=sys.stderr) as bar:
        def shard_done(result: Any) -> None:
            bar.update()
            bar.write(f"{result.shard_id}: {result.note}")

        results = replay(kinesis, conn, stream, start, shard_ids=args.shard,
                         dry_run=args.dry_run, on_shard=shard_done)
    moved = sum(r.moved for r in results)
    verb = "would move" if args.dry_run else "moved"
    if args.dry_run:
        moved = sum(r.checkpoint_after != r.checkpoint_before for r in results)
    print(f"replay from {start.describe()}: {verb} {moved} of {len(results)} shard checkpoints")
    return 0


def _redrive(args: argparse.Namespace) -> int:
    from pms_pipelines.ops.redrive import Selection, redrive_selection, selected_ids, summary

    selection = Selection(ids=args.id, reason_contains=args.reason,
                          received_after=args.received_after,
                          received_before=args.received_before, limit=args.limit)
    with _connect("pms-redrive") as conn:
        ids = selected_ids(conn, selection)
        with tqdm(total=len(ids), desc="dead letters", unit="letter", file=sys.stderr) as bar:
            report = redrive_selection(conn, ids, dry_run=args.dry_run,
                                       on_chunk=lambda part: bar.update(part.examined))
    for letter_id, reason in report.still_invalid:
        print(f"still invalid: dead letter {letter_id}: {reason}")
    print(summary(report, args.dry_run))
    return 0


def _resync(args: argparse.Namespace) -> int:
    from pms_pipelines.integrations import REGISTRY
    from pms_pipelines.ops.resync import (
        FINISHED,
        GraphQL,
        backfill_status,
        launch_backfill_graphql,
        resync_request,
    )

    with _connect("pms-ops-resync") as conn:
        requests = [resync_request(conn, REGISTRY, args.pms, a) for a in args.agency]
    client = GraphQL(args.dagster_url)
    launched = {}
    for request in tqdm(requests, desc="backfills", unit="agency", file=sys.stderr):
        launched[request.agency_id] = launch_backfill_graphql(client, request)
        print(f"{args.pms}/{request.agency_id}: backfill {launched[request.agency_id]} "
              f"({args.dagster_url}/runs/b/{launched[request.agency_id]})")
    failed = []
    if args.wait:
        pending = dict(launched)
        with tqdm(total=len(pending), desc="finished", unit="agency", file=sys.stderr) as bar:
            while pending:
                for agency_id, backfill_id in list(pending.items()):
                    status = backfill_status(client, backfill_id)
                    if status in FINISHED:
                        bar.update()
                        bar.write(f"{args.pms}/{agency_id}: {status}")
                        del pending[agency_id]
                        if status not in ("COMPLETED", "COMPLETED_SUCCESS"):
                            failed.append(agency_id)
                if pending:
                    time.sleep(2)
    if failed:
        print(f"error: the re-sync of {', '.join(failed)} did not succeed", file=sys.stderr)
    return 1 if failed else 0


def _register(args: argparse.Namespace) -> int:
    from pms_pipelines.integrations import REGISTRY
    from pms_pipelines.ops.agency import describe, register

    with _connect("pms-ops-agency") as conn:
        agency = register(conn, REGISTRY, args.pms, args.agency, display_name=args.name,
                          credentials_ref=args.credentials_ref, enabled=not args.disabled,
                          webhook_account=args.webhook_account, check=not args.no_check)
    print(f"registered {describe(agency)}")
    return 0


def _set_enabled(args: argparse.Namespace) -> int:
    from pms_pipelines.integrations import REGISTRY
    from pms_pipelines.ops.agency import describe, set_enabled

    with _connect("pms-ops-agency") as conn:
        agency = set_enabled(conn, REGISTRY, args.pms, args.agency, args.enabled)
    print(describe(agency))
    if not args.enabled:
        from pms_pipelines.ops.resync import GraphQL, GraphQLError
        from pms_pipelines.ops.waiting_runs import cancel_waiting_runs_graphql
        from pms_pipelines.pulls.names import agency_tag

        try:
            cancelled = cancel_waiting_runs_graphql(GraphQL(args.dagster_url), args.pms,
                                                    args.agency)
        except GraphQLError as error:
            print(f"warning: its queued runs were not cancelled ({error}); they will fail "
                  f"when they start: cancel them under Runs, tag pms/agency="
                  f"{agency_tag(args.pms, args.agency)}", file=sys.stderr)
        else:
            print(f"cancelled {len(cancelled)} queued run(s)")
    return 0


def _acknowledge_gap(args: argparse.Namespace) -> int:
    from pms_pipelines.aws import kinesis_client
    from pms_pipelines.ops.retention import acknowledge_gaps

    with _connect("pms-ops-retention") as conn:
        done = acknowledge_gaps(kinesis_client(), conn, _stream(),
                                None if args.all else args.shard)
    for shard_id, gap in done.items():
        print(f"acknowledged {shard_id}: {gap}")
    print(f"{len(done)} retention gap(s) acknowledged; the consumer sensor reads them again")
    return 0
