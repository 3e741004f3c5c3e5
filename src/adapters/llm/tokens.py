"""Token counting without a tokenizer download (ADR 0021).

Real BPE tokenizers (tiktoken) fetch their vocabularies from the network at first use, which
this service must not need. The estimate below follows OpenAI's published rule of thumb (about
four characters per token for English) and never counts fewer tokens than there are words, so
for short, word-heavy text it errs on the side of more tokens: a context built within the
budget by this count fits the real one (both counts are C string operations: the context builder
counts every recent message). Providers report the true counts of
each answer, and those are what AiReplyGenerated and ai_usage record.
"""

from __future__ import annotations


class EstimatedTokenCounter:
    def count(self, text: str) -> int:
        if not text:
            return 0
        return max(-(-len(text) // 4), len(text.split()))
