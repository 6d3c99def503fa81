"""Write docs/cli.md, the command reference, from the commands' own --help texts.

    python scripts/cli_docs.py docs/cli.md     # `make docs`; tests/test_docs.py checks it

Every command and option appears with the text `--help` shows, so the reference cannot
drift from the program: the test compares this output with the committed file.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import click

from warroom.cli.app import app


def _help_text(command: click.Command) -> str:
    """The command's help as written: paragraphs kept, Click's markers dropped (`\\b`
    keeps a block unwrapped in the terminal; `\\f` ends what --help shows)."""
    text = inspect.cleandoc(command.help or "").split("\f", 1)[0]
    return "\n".join(line for line in text.splitlines() if line.strip() != "\b").strip()


def _items(rows: list[tuple[str, str]]) -> list[str]:
    return [f"* `{name}`: {text}".rstrip(": ") if text else f"* `{name}`" for name, text in rows]


def _section(command: click.Command, context: click.Context, path: str, depth: int) -> list[str]:
    out = [f"{'#' * depth} `{path}`", ""]
    text = _help_text(command)
    if text:
        out += [text, ""]
    usage = " ".join(command.collect_usage_pieces(context))
    out += ["**Usage**:", "", "```console", f"$ {path} {usage}", "```", ""]
    params = command.get_params(context)
    arguments = [p.get_help_record(context) for p in params if isinstance(p, click.Argument)]
    options = [
        record
        for p in params
        if not isinstance(p, click.Argument) and (record := p.get_help_record(context))
    ]
    if arguments:
        out += ["**Arguments**:", "", *_items([a for a in arguments if a is not None]), ""]
    if options:
        out += ["**Options**:", "", *_items(options), ""]
    if isinstance(command, click.Group):
        names = command.list_commands(context)
        subcommands = [(n, command.get_command(context, n)) for n in names]
        rows = [(n, c.get_short_help_str(limit=300)) for n, c in subcommands if c is not None]
        out += ["**Commands**:", "", *_items(rows), ""]
        for name, sub in subcommands:
            if sub is None or sub.hidden:
                continue
            with click.Context(sub, info_name=name, parent=context) as child:
                out += _section(sub, child, f"{path} {name}", min(depth + 1, 3))
    return out


def reference() -> str:
    with click.Context(app, info_name="warroom", **app.context_settings) as root:
        lines = _section(app, root, "warroom", 1)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        sys.exit("usage: python scripts/cli_docs.py OUTPUT.md")
    Path(sys.argv[1]).write_text(reference(), encoding="utf-8")
