"""Follow-ups → standalone questions, and the bounded memory of conversations.

Pure logic: no Discord, no index. detect.py tells a follow-up from a new topic, topic.py
reads what an earlier turn was about, rewrite.py puts it in the follow-up, choose.py
picks among its readings by the answer's confidence, state.py holds the conversations;
language facts live in bot/data/conversation.toml.
"""

from bot.conversation.condense import checked_condensed, condense_messages
from bot.conversation.detect import follow_up_cues, refers_back
from bot.conversation.rewrite import rewrite_followup, rewrite_readings
from bot.conversation.state import Conversation, Conversations
from bot.conversation.turn import Turn

__all__ = [
    "Conversation",
    "Conversations",
    "Turn",
    "checked_condensed",
    "condense_messages",
    "follow_up_cues",
    "refers_back",
    "rewrite_followup",
    "rewrite_readings",
]
