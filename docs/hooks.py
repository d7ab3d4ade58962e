"""MkDocs hook: the "Commands" page is generated from the command line's own parser.

`mkdocs.yml` names this file under `hooks:`; at build time it adds `commands.md`, written by
`maturity.cli.reference.command_reference(maturity.cli.build_parser())`, so the reference
lists exactly the commands and options of the installed version.
"""

from __future__ import annotations

from mkdocs.structure.files import File, Files

from maturity.cli import build_parser
from maturity.cli.reference import command_reference


def on_files(files: Files, config) -> Files:
    """Add the generated command reference to the site's files."""
    files.append(File.generated(config, "commands.md", content=command_reference(build_parser())))
    return files
