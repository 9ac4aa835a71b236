"""The `assistant` command: a thin layer over the facade (`assistant.service.Assistant`).

Exit status: 0 success; 1 some inputs failed and the rest landed; 2 the command could not run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..errors import AssistantError
from . import database, documents, questions  # noqa: F401  (each registers its sub-commands)
from .base import _COMMANDS, build_parser, settings_for

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_for(args)
        return _COMMANDS[args.command](args, settings)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `assistant ask … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted; the index is unchanged by the unfinished command", file=sys.stderr)
        return 130
