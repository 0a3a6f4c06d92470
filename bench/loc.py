"""`make loc`: what an integration costs in lines, per PMS.

Per integration: its declaration and feeds and mapping (`client.py`, `pull.py`,
`mapping.py`, `__init__.py`), and its sandbox: the declaration the kit's sandbox serves
(`sandbox/__init__.py`), the data generator (`sandbox/generate.py`) and any other sandbox
file; beside them, the kit all integrations share. "lines" counts every line, "code"
leaves out blank lines, comments and docstrings.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

INTEGRATIONS = Path(__file__).resolve().parents[1] / "pms_pipelines" / "integrations"
OWN = ("client.py", "pull.py", "mapping.py", "__init__.py")


def code_lines(path: Path) -> int:
    """Lines holding code: not blank, not only a comment, not part of a docstring."""
    text = path.read_text()
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            docstrings.update(range(body[0].lineno, body[0].end_lineno + 1))
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE,
                              tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - docstrings)


def count(paths: list[Path]) -> tuple[int, int]:
    return (sum(len(p.read_text().splitlines()) for p in paths),
            sum(code_lines(p) for p in paths))


def main() -> int:
    rows = []
    for folder in sorted(p for p in INTEGRATIONS.iterdir() if (p / "pull.py").exists()):
        own = count([folder / name for name in OWN if (folder / name).exists()])
        files = sorted((folder / "sandbox").glob("*.py"))
        declaration = [p for p in files if p.name == "__init__.py"]
        generator = [p for p in files if p.name == "generate.py"]
        rows.append((folder.name, own, count(files), count(declaration)[0],
                     count(generator)[0]))
    kit = count(sorted((INTEGRATIONS / "kit").glob("*.py")))
    print("| PMS | integration lines | code | sandbox lines | code "
          "| sandbox declaration | generator |")
    print("|---|---|---|---|---|---|---|")
    for name, own, sandbox, declaration, generator in rows:
        print(f"| {name} | {own[0]} | {own[1]} | {sandbox[0]} | {sandbox[1]} "
              f"| {declaration} | {generator} |")
    print(f"| kit (shared) | {kit[0]} | {kit[1]} | | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
