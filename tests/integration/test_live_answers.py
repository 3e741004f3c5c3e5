"""LiveAnswers (ADR 0092): an answer's pieces reach the watches of its conversation in order,
a restart starts the text again, after a piece lost the preview of that answer stops rather
than show text in the wrong place, and across two processes (two instances, one
database) the pieces go by NOTIFY."""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

from adapters.streams.answers import AnswerSoFar, AnswerWatch, LiveAnswers
from tests.serving import migrated

TENANT, CONVERSATION = uuid4(), uuid4()
KEY = (TENANT, CONVERSATION)


async def _latest(watch: AnswerWatch) -> AnswerSoFar | None:
    await asyncio.wait_for(watch.changed(), 5)
    await asyncio.sleep(0.01)  # later offers already scheduled are applied too
    return watch.latest


def test_pieces_restart_and_end_reach_the_conversations_watches_only() -> None:
    async def scenario() -> None:
        answers = LiveAnswers(None)
        mine, other = answers.watch(TENANT, CONVERSATION), answers.watch(TENANT, uuid4())
        message = uuid4()
        answers.publish(KEY, message, 0, "We are ")
        answers.publish(KEY, message, 7, "open")
        assert await _latest(mine) == AnswerSoFar(message, "We are open")
        answers.publish(KEY, message, 0, "")  # a provider failed mid-answer: start again
        assert await _latest(mine) == AnswerSoFar(message, "")
        answers.publish(KEY, message, 0, "Open on Saturday")
        assert await _latest(mine) == AnswerSoFar(message, "Open on Saturday")
        late = answers.watch(TENANT, CONVERSATION)  # joins mid-answer: has the text so far
        assert late.latest == AnswerSoFar(message, "Open on Saturday")
        assert other.latest is None and not other._signal.is_set()

        answers.end(KEY, message, stored=True)  # the thread will show it: nothing offered
        await asyncio.sleep(0.05)
        assert mine.latest == AnswerSoFar(message, "Open on Saturday")
        assert answers.watch(TENANT, CONVERSATION).latest is None

        second = uuid4()
        answers.publish(KEY, second, 0, "Let me")
        assert await _latest(mine) == AnswerSoFar(second, "Let me")
        answers.end(KEY, second, stored=False)  # abandoned: the watches drop it
        assert await _latest(mine) is None

    asyncio.run(scenario())


def test_after_a_lost_piece_the_preview_of_that_answer_stops() -> None:
    async def scenario() -> None:
        answers = LiveAnswers(None)
        watch = answers.watch(TENANT, CONVERSATION)
        message = uuid4()

        def heard(offset: int, piece: str) -> None:
            answers.heard(f"elsewhere|p|{TENANT}|{CONVERSATION}|{message}|{offset}|{piece}")

        heard(0, "We | are ")  # a piece may hold the separator
        assert await _latest(watch) == AnswerSoFar(message, "We | are ")
        heard(13, "on ")  # the piece at 9 ("open") was lost: this one is out of place
        heard(16, "Saturday")  # and so is every later one
        await asyncio.sleep(0.05)
        assert watch.latest == AnswerSoFar(message, "We | are ")
        answers.heard("garbage")  # ignored
        answers.heard(f"{answers.origin}|p|{TENANT}|{CONVERSATION}|{message}|0|mine")
        await asyncio.sleep(0.05)
        assert watch.latest == AnswerSoFar(message, "We | are ")

    asyncio.run(scenario())


def test_pieces_go_to_another_process_by_notify(owner_url: str) -> None:
    """As the API's role, which RLS applies to (LISTEN and NOTIFY need no privilege)."""
    app_url = migrated(owner_url).app_url

    async def scenario() -> None:
        writer, reader = LiveAnswers(app_url), LiveAnswers(app_url)
        try:
            watch = reader.watch(TENANT, CONVERSATION)
            await asyncio.sleep(0.5)  # its LISTEN is in place
            message = uuid4()
            long = "word " * 700  # over one NOTIFY: sent in pieces
            writer.publish(KEY, message, 0, long)
            writer.publish(KEY, message, len(long), "end")
            deadline = time.monotonic() + 10
            while (watch.latest is None or watch.latest.text != long + "end") \
                    and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert watch.latest == AnswerSoFar(message, long + "end")
            writer.end(KEY, message, stored=False)
            while watch.latest is not None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert watch.latest is None
        finally:
            writer.stop()
            reader.stop()

    asyncio.run(scenario())
