"""`python -m pms_pipelines.local_stack dev|demo`: the README's one commands.

dev:  the whole local stack, then `dagster dev` with sensors and schedules running.
demo: the stack headless, one full pull of every agency, consume until caught up,
      a summary of rows per table; exits non-zero if a table is empty or a run failed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pms_pipelines.defs.health_view import HEALTH_KEY
from pms_pipelines.local_stack.stack import AGENCIES, ROOT, prepare_dagster_home, start_stack

HEALTH_PATH = "/assets/" + "/".join(HEALTH_KEY.path)


def dev(args: argparse.Namespace) -> int:
    # Ctrl-C and SIGTERM (a test, a process manager) stop everything below, even where
    # SIGINT came in ignored (a background job of a shell), which dagster dev would inherit.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    stack = start_stack(args.state_dir, churn_seconds=args.churn_seconds,
                        units_per_agency=args.units, agencies=tuple(args.agencies))
    home = prepare_dagster_home(args.dagster_home)
    ui = f"http://127.0.0.1:{args.port}"
    env = {**os.environ, **stack.env, "DAGSTER_HOME": str(home),
           "PMS_ALERT_UI_BASE_URL": os.environ.get("PMS_ALERT_UI_BASE_URL", ui),
           # Stopping dagster dev leaves multiprocessing's tracker a semaphore to clean
           # up, which it reports as a leak on every Ctrl-C: noise, not a fault.
           "PYTHONWARNINGS": ",".join(filter(None, (
               os.environ.get("PYTHONWARNINGS"), "ignore:resource_tracker:UserWarning")))}
    shell_env = write_shell_env(args.state_dir / "env.sh", {
        **stack.env, "DAGSTER_URL": ui})
    print(f"dagster: UI on {ui} (Ctrl-C stops everything)\n"
          f"health at a glance: {ui}{HEALTH_PATH} (docs/runbook.md starts there)\n"
          f"command line: . {shell_env}; .venv/bin/python -m pms_pipelines.ops --help",
          flush=True)
    # Its own session: a stop reaches dagster dev and everything it started (webserver,
    # daemon, code servers, run workers) at once, as a terminal's Ctrl-C would, whoever
    # was signalled (the terminal, a process manager, a test).
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-w", str(ROOT / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(args.port)],
        env=env, cwd=ROOT, start_new_session=True,
    )
    try:
        return process.wait()
    except KeyboardInterrupt:
        # Asked to stop (Ctrl-C, SIGTERM): dagster dev's own exit code then says only
        # that it was interrupted, so a clean stop exits 0 (no `make: *** Error 1`).
        stop_group(process)
        print("stopped", flush=True)
        return 0
    finally:
        stop_group(process)  # whatever outlived dagster dev, before its database goes
        stack.stop()


def stop_group(process: subprocess.Popen, grace_s: float = 60.0) -> None:
    """Interrupt the process's session and wait until every process of it is gone;
    SIGKILL what is left after `grace_s`."""
    def alive() -> bool:
        members = _live_members(process.pid)
        if members is not None:  # Linux: zombies (left to an init that may not reap) do not count
            return bool(members)
        try:
            os.killpg(process.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    if not alive():
        return
    os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        process.poll()  # reap dagster dev itself once it exits
        if not alive():
            return
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _live_members(pgid: int) -> list[int] | None:
    """The processes of group `pgid` that are not zombies; None without /proc."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":  # state, ppid, pgrp, ...
            members.append(int(entry.name))
    return members


def write_shell_env(path: Path, values: dict[str, str]) -> Path:
    """The stack's settings as `export` lines, so a second terminal's commands (the ops
    CLI, the lake query) reach the same database, stream and Dagster. Local values only,
    but the file is private all the same."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an older file keeps its mode through O_CREAT
    with os.fdopen(descriptor, "w") as handle:
        handle.write("".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(values.items())))
    return path


def demo(args: argparse.Namespace) -> int:
    from pms_pipelines.local_stack.demo import run_demo

    # A fresh state each time, so the summary counts only this demo's work.
    with tempfile.TemporaryDirectory(prefix="pms-demo-") as state_dir:
        stack = start_stack(Path(state_dir), churn_seconds=None, units_per_agency=args.units)
        try:
            return run_demo(stack)
        finally:
            stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m pms_pipelines.local_stack")
    commands = parser.add_subparsers(dest="command", required=True)
    dev_cmd = commands.add_parser("dev", help="the local stack and dagster dev")
    dev_cmd.add_argument("--port", type=int, default=int(os.environ.get("DAGSTER_PORT", "3000")))
    dev_cmd.add_argument("--churn-seconds", type=float, default=20.0)
    dev_cmd.add_argument("--units", type=int, default=300)
    dev_cmd.add_argument("--agencies", nargs="+", default=list(AGENCIES))
    # Elsewhere than the repo's own folders: a test runs a second stack beside `make dev`.
    dev_cmd.add_argument("--state-dir", type=Path, default=ROOT / ".local_stack")
    dev_cmd.add_argument("--dagster-home", type=Path, default=ROOT / ".dagster_home")
    dev_cmd.set_defaults(run=dev)
    demo_cmd = commands.add_parser("demo", help="pull, consume, summarise, tear down")
    demo_cmd.add_argument("--units", type=int, default=300)
    demo_cmd.set_defaults(run=demo)
    args = parser.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
