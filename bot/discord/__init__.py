"""The Discord front end: bot.py (startup, intents), cog.py (slash commands, mentions),
views.py (buttons, feedback), render*.py and texts.py (pure payloads and messages).

Nothing is imported here, so that the pure renderers load without discord.py. Modules of
this package import discord.py as `import discord`: absolute imports always name the
library, never this package (`bot.discord`).
"""
