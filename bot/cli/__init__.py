"""`newsbot`: build the index, search it, answer questions, run the Discord bot, evaluate.

One module per subcommand. Every check that needs no model (the question, the index
folder, the token) runs before any model or index is loaded, so that these mistakes
answer at once.
"""

from bot.cli.app import cli, main

__all__ = ["cli", "main"]
