"""What the command line prints on standard error: one shape for errors, one for warnings.

`newsbot: error: …` and `newsbot: warning: …`, whether the line comes from the CLI, a
logger or the Discord bot; other log records read `newsbot: …`.
"""

from __future__ import annotations

import logging
import sys

PREFIX = "newsbot"
_HANDLER = "newsbot-console"


def error_line(text: str) -> str:
    return f"{PREFIX}: error: {' '.join(text.split())}"


def warning_line(text: str) -> str:
    return f"{PREFIX}: warning: {' '.join(text.split())}"


def print_error(text: str) -> None:
    print(error_line(text), file=sys.stderr, flush=True)


def print_warning(text: str) -> None:
    print(warning_line(text), file=sys.stderr, flush=True)


class ConsoleFormatter(logging.Formatter):
    """Log records in the shapes above; tracebacks (unexpected failures) still follow."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            line = error_line(message)
        elif record.levelno >= logging.WARNING:
            line = warning_line(message)
        else:
            line = f"{PREFIX}: {message}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup_logging(verbose: bool) -> None:
    """Warnings by default, progress and decisions with -v; all on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER)
    handler.setFormatter(ConsoleFormatter())
    root = logging.getLogger()
    # Replace only our own handler, so that a test's capturing handler stays.
    root.handlers[:] = [h for h in root.handlers if h.get_name() != _HANDLER] + [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)


def show_info_from(name: str) -> None:
    """Let `name`'s INFO records through at the default level (builds, the Discord bot)."""
    logging.getLogger(name).setLevel(min(logging.INFO, logging.getLogger().level))
