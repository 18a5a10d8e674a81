"""Loads the models and the index once and answers questions; reloads a swapped index."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace

from bot.answer import AnswerOptions, answer_question
from bot.answer.gather import search_in_range
from bot.answer.ranker import AnswerModel, load_answer_model
from bot.conversation import (
    Conversation,
    Conversations,
    Turn,
    checked_condensed,
    condense_messages,
    rewrite_readings,
)
from bot.conversation.choose import choose_reading
from bot.dates import DateRange
from bot.llm import LanguageModel, load_language_model
from bot.models import Answer
from bot.settings import Settings
from index.embed import VectorEmbeddings, load_embedder
from index.models import Hit
from index.search import HybridSearcher
from index.store import open_store

log = logging.getLogger("newsbot.bot")


@dataclass(frozen=True)
class _Loaded:
    build_id: str
    searcher: HybridSearcher


class Engine:
    """The one object every front end holds: `engine.answer(question) -> Answer`."""

    def __init__(
        self,
        settings: Settings,
        embedder: VectorEmbeddings,
        *,
        model: AnswerModel | None = None,
        llm: LanguageModel | None = None,
        options: AnswerOptions | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.model = _with_threshold(model or load_answer_model(), settings.answer_threshold)
        self.llm = llm
        self.options = options or AnswerOptions()
        self.store = open_store(settings.index_dir, settings.database_url, settings.database_schema)
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, settings: Settings) -> Engine:
        """Load the answer model, the embedder (and the language model, if configured); the
        index loads lazily."""
        model = load_answer_model()  # checked first: a damaged model fails before any load
        embedder = load_embedder(
            settings.embedding_model,
            query_prefix=settings.query_prefix,
            passage_prefix=settings.passage_prefix,
        )
        return cls(settings, embedder, model=model, llm=load_language_model(settings))

    def searcher(self) -> HybridSearcher:
        """The searcher over the live build, reloaded when `newsbot index` swapped it.

        Callers keep the searcher they got, so a question in flight finishes on the build
        it started with even if a new one is swapped in meanwhile.
        """
        live = self.store.current_build_id()
        loaded = self._loaded
        if loaded is not None and loaded.build_id == live:
            return loaded.searcher
        with self._lock:
            if self._loaded is None or self._loaded.build_id != live:
                reader = self.store.open_reader(self.embedder.name, self.embedder.dimension)
                if self._loaded is not None:
                    log.info("index swapped: now serving build %s", reader.build_id)
                self._loaded = _Loaded(reader.build_id, HybridSearcher(reader, self.embedder))
            return self._loaded.searcher

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        mode: str = "hybrid",
        dates: DateRange | None = None,
    ) -> list[Hit]:
        k = k or self.settings.top_k
        searcher = self.searcher()
        with searcher.reader.snapshot():
            return search_in_range(searcher, query, k, dates, mode=mode)

    def conversations(self) -> Conversations:
        """A store of conversations bounded by the settings (one per front end)."""
        return Conversations.from_settings(self.settings)

    def answer(
        self,
        question: str,
        k: int | None = None,
        *,
        conversation: Conversation | None = None,
        dates: DateRange | None = None,
    ) -> Answer:
        """The answer to `question`, read as a follow-up of `conversation` when given."""
        if conversation is None:
            return self._answer_alone(question, k, dates)
        turns = list(conversation.turns)
        readings = self.readings(question, turns)
        answers = [self._answer_alone(reading, k, dates) for reading in readings]
        chosen = choose_reading(answers)
        understood, answer = readings[chosen], answers[chosen]
        conversation.add(
            Turn(
                question=question,
                understood=understood,
                quotes=tuple(c.snippet for c in answer.citations),
                abstained=answer.abstained,
                follow_up=understood != question.strip(),
            )
        )
        return replace(answer, question=question.strip(), understood=understood)

    def understand(self, question: str, turns: list[Turn]) -> str:
        """The standalone question: the language model's when configured and it gives
        one question, else the rewrite without a model."""
        return self.readings(question, turns)[0]

    def readings(self, question: str, turns: list[Turn]) -> tuple[str, ...]:
        """The standalone readings of `question`, preferred first: the language model's
        one question when configured and it gives one, else the rewrite's readings."""
        rewritten = rewrite_readings(question, turns)
        if self.llm is None or not turns:
            return rewritten
        from langchain_core.messages import HumanMessage, SystemMessage

        from bot.question import detect_language

        system, user = condense_messages(question, turns, detect_language(question))
        try:
            reply = self.llm.chat.invoke([SystemMessage(system), HumanMessage(user)])
        except Exception as exc:  # any failure of the optional model falls back
            log.warning("language model could not condense the follow-up: %s", type(exc).__name__)
            return rewritten
        condensed = checked_condensed(str(reply.text), question)
        if condensed is None:
            log.warning("language model condensed the follow-up into no question; rewritten")
            return rewritten
        return (condensed,)

    def _answer_alone(
        self, question: str, k: int | None = None, dates: DateRange | None = None
    ) -> Answer:
        searcher = self.searcher()
        # One question reads one state of the store, even while `newsbot index` writes.
        with searcher.reader.snapshot():
            return answer_question(
                question,
                searcher,
                self.model,
                k=k or self.settings.top_k,
                options=self.options,
                llm=self.llm,
                dates=dates,
            )


def _with_threshold(model: AnswerModel, threshold: float | None) -> AnswerModel:
    """The model, its abstention threshold replaced when the settings give one."""
    if threshold is None:
        return model
    return replace(model, abstainer=replace(model.abstainer, threshold=threshold))
