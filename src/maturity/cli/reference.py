"""The command reference (Markdown) written from the command line's own argument parser.

The documentation site's "Commands" page is generated from :func:`command_reference` at build
time, so the reference lists exactly the subcommands and options the parser has and cannot
drift from it. The module takes the parser as an argument (it imports no command module), so
the documentation hook and the tests pass ``maturity.cli.build_parser()``.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Command:
    """One command of the parser tree: its words (``("privacy", "plan")``), parser and help."""

    words: tuple[str, ...]
    parser: argparse.ArgumentParser
    summary: str


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:  # argparse has no public way to walk its subcommands
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def commands(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()) -> Iterator[Command]:
    """Every leaf command under ``parser``, depth first, in the order ``--help`` lists them.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The top-level parser (``maturity.cli.build_parser()``) or any subparser.
    words : tuple of str
        The words leading to ``parser`` (empty for the top level).

    Yields
    ------
    Command
        A command that takes options rather than further subcommands.
    """
    sub = _subparsers(parser)
    if sub is None:
        return
    summaries = {choice.dest: choice.help or "" for choice in sub._choices_actions}
    for name, child in sub.choices.items():
        path = (*words, name)
        if _subparsers(child) is None:
            yield Command(path, child, summaries.get(name, ""))
        else:
            yield from commands(child, path)


def option_strings(parser: argparse.ArgumentParser) -> dict[str, set[str]]:
    """For each leaf command (``"privacy plan"``), its option strings and positional names.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The top-level parser.

    Returns
    -------
    dict
        ``{"import": {"DATA", "--wave", "--db", ...}, ...}``; ``-h``/``--help`` left out.
    """
    result: dict[str, set[str]] = {}
    for command in commands(parser):
        names: set[str] = set()
        for action in _arguments(command.parser):
            names |= set(action.option_strings) or {_positional_name(action)}
        result[" ".join(command.words)] = names
    return result


def _arguments(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions
            if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))]


def _positional_name(action: argparse.Action) -> str:
    return str(action.metavar or action.dest).upper() if not isinstance(action.metavar, tuple) else action.dest


def _usage(command: Command) -> str:
    usage = command.parser.format_usage().strip()
    usage = usage.removeprefix("usage: ")
    return " ".join(usage.split())  # one line: the site wraps it


def _option_row(action: argparse.Action) -> str:
    if action.option_strings:
        metavar = ""
        if action.nargs != 0:
            metavar = action.metavar or (
                "{" + ",".join(map(str, action.choices)) + "}" if action.choices else action.dest.upper())
            if isinstance(metavar, tuple):
                metavar = " ".join(metavar)
            metavar = " " + str(metavar)
        name = ", ".join(f"`{o}{metavar}`" for o in action.option_strings)
    else:
        name = f"`{_positional_name(action)}`"
    help_text = (action.help or "") if action.help != argparse.SUPPRESS else ""
    if "%(" in help_text:
        help_text = help_text % {**vars(action), "prog": ""}
    if action.choices and not action.option_strings:
        help_text += f" (one of: {', '.join(map(str, action.choices))})"
    return f"| {name} | {_cell(help_text)} |"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def command_reference(parser: argparse.ArgumentParser) -> str:
    """The Markdown page listing every command with its usage, description and options.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The top-level parser (``maturity.cli.build_parser()``).

    Returns
    -------
    str
        A Markdown document: one section per leaf command, each with a usage line and a
        table of its arguments and options, in the order ``maturity --help`` lists them.
    """
    lines = [
        "# Command reference",
        "",
        "Generated from the command line's own parser when the site is built, so it lists exactly",
        "the commands and options of this version. Every command accepts `--debug` (show the",
        "traceback of a failure). Exit codes: 0 success, 1 input rejected or some work failed,",
        "2 usage error (including a missing database, an unknown wave or a client file whose",
        "organisation is in no wave).",
        "",
        "| command | what it does |",
        "| --- | --- |",
    ]
    all_commands = list(commands(parser))
    for command in all_commands:
        name = " ".join(command.words)
        lines.append(f"| [`maturity {name}`](#{_anchor(command)}) | {_cell(command.summary)} |")
    for command in all_commands:
        lines += ["", f"## maturity {' '.join(command.words)} {{#{_anchor(command)}}}", ""]
        if command.summary:
            lines += [command.summary[0].upper() + command.summary[1:] + ".", ""]
        lines += ["```text", _usage(command), "```", ""]
        if command.parser.description and command.parser.description != command.summary:
            lines += [_cell(command.parser.description), ""]
        arguments = _arguments(command.parser)
        if arguments:
            lines += ["| argument | meaning |", "| --- | --- |"]
            lines += [_option_row(action) for action in arguments]
        if command.parser.epilog:
            lines += ["", _cell(command.parser.epilog)]
    return "\n".join(lines) + "\n"


def _anchor(command: Command) -> str:
    return "-".join(command.words)
