"""`make dev` leaves its settings in `<state>/env.sh` for a second terminal's commands."""

from __future__ import annotations

import stat
import subprocess

from pms_pipelines.local_stack.__main__ import write_shell_env


def test_the_shell_env_file_gives_back_every_value_exactly(tmp_path) -> None:
    values = {"PMS_DATABASE_URL": "postgresql://u@/pms?host=/tmp/a dir",
              "PMS_LAKE_MASK_KEY": "a'b\"c$d`e", "DAGSTER_URL": "http://127.0.0.1:3000"}
    older = tmp_path / "env.sh"
    older.write_text("export OLD=1\n")
    older.chmod(0o644)  # a file from an earlier run keeps no wider mode
    path = write_shell_env(older, values)
    script = f". {path}; " + "; ".join(f'printf "%s\\0" "${k}"' for k in values)
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True).stdout
    assert out.decode().split("\0")[:-1] == list(values.values())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
