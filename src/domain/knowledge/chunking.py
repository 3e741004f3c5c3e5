"""Splitting a document into passages the assistant can quote: paragraphs first, then sentences,
packed up to a size, so a passage is a readable unit rather than an arbitrary window."""

from __future__ import annotations

import re

_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def chunk_text(text: str, *, max_chars: int = 700) -> list[str]:
    """Passages of at most ``max_chars``: a paragraph never shares a passage with another; a
    long one is packed sentence by sentence (a sentence longer than that is cut at words)."""
    passages: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        flat = " ".join(paragraph.split())
        if not flat:
            continue
        if len(flat) <= max_chars:
            passages.append(flat)
            continue
        current = ""
        for sentence in _SENTENCE.split(flat):
            for piece in _cut(sentence, max_chars):
                if current and len(current) + 1 + len(piece) > max_chars:
                    passages.append(current)
                    current = piece
                else:
                    current = f"{current} {piece}" if current else piece
        if current:
            passages.append(current)
    return passages


def _cut(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    parts, current = [], ""
    for word in sentence.split(" "):
        while len(word) > max_chars:
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:max_chars])
            word = word[max_chars:]
        if current and len(current) + 1 + len(word) > max_chars:
            parts.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        parts.append(current)
    return parts
