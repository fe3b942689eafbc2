"""Request classification over real-sounding candidate messages (mockflow.interview.requests).

Goals (issue 15): no answer is read as a stop, no answer is read as any request, and at
least 95 % of requests are recognised. Every message is asserted on its own as well, so a
regression names the message.
"""

from __future__ import annotations

import pytest

from mockflow.interview.requests import Intent, is_yes, read_message, split_sentences

ANSWER = None
TABLE: list[tuple[str, str | None]] = [
    # --- answers that mention quitting, stopping, being done, skipping, repeating, hints
    ("I would quit the process and restart it cleanly.", ANSWER),
    ("That covers it, I'm done.", ANSWER),
    ("I would repeat the call with exponential backoff.", ANSWER),
    ("We could skip this step in staging.", ANSWER),
    ("First I'd stop the bleeding: roll back the deploy, then look at the error logs.", ANSWER),
    ("If the worker dies halfway, the job stays marked as running, so another worker picks"
     " it up and we repeat the build; building twice has to be harmless.", ANSWER),
    ("I'd end the transaction before calling the payment provider, never hold it open.",
     ANSWER),
    ("The hint was in the logs: every failing request hit the same replica.", ANSWER),
    ("We skipped the canary that day, which is exactly why it hit everyone.", ANSWER),
    ("Honestly I'd give the junior a hint rather than the answer, and let her find the bug.",
     ANSWER),
    ("I'm done with the migration part; the tricky bit is backfilling without locking the"
     " table, so I'd do it in batches of a few thousand rows.", ANSWER),
    ("We had to stop the interview loop for a month because the team was firefighting.",
     ANSWER),
    ("Can we stop retrying forever? Yes: cap it at a day and park the event in a dead-letter"
     " queue.", ANSWER),
    ("I'd say: skip the cache for writes, and invalidate on every price change.", ANSWER),
    ("Retry with backoff. Then stop after five attempts.", ANSWER),
    ("I'd pass on the hot path entirely and serve stale prices for a few seconds.", ANSWER),
    ("We quit using cron for it and moved to a queue.", ANSWER),
    ("I'm done.", "skip"),  # done answering: move on (never the end of the interview)
    ("Stop the world garbage collection pauses were the cause, so we tuned the heap.", ANSWER),
    ("The process would just end, and nobody would notice until the morning.", ANSWER),
    ("I'd repeat the experiment with a bigger sample before believing it.", ANSWER),
    ("What happens if the merchant is down? We retry with growing gaps for a day. Does that"
     " make sense?", ANSWER),
    ("So how would I do it? I'd put a queue in front and let workers drain it.", ANSWER),
    ("Say the cache is cold: one request refills the key while the others wait.", ANSWER),
    ("I don't know, I've never had to do that.", ANSWER),
    ("I'd move on to the next step only when the error rate is back to normal.", ANSWER),
    ("Then we can end the old code path once every client has moved over.", ANSWER),
    ("At that point I'd ask the team for help and pair on it.", ANSWER),
    ("Good question. I'd start with the logs, then the metrics, then try to reproduce it"
     " locally.", ANSWER),
    ("Could be a race condition. I'd add logging around the lock and run it a few hundred"
     " times.", ANSWER),
    # --- requests, short
    ("Could you repeat the question?", "repeat"),
    ("Sorry, can you say that again?", "repeat"),
    ("Sorry?", "repeat"),
    ("I didn't catch that.", "repeat"),
    ("What was the question again?", "repeat"),
    ("Can I get a hint?", "hint"),
    ("Hint please.", "hint"),
    ("I'm stuck.", "hint"),
    ("Can we skip this one?", "skip"),
    ("Pass.", "skip"),
    ("Next question, please.", "skip"),
    ("Let's move on.", "skip"),
    ("I'm done with this one.", "skip"),
    ("I'd like to stop the interview.", "stop"),
    ("Can we end here?", "stop"),
    ("I have to go.", "stop"),
    ("Let's stop here, please.", "stop"),
    ("What do you mean?", "clarify"),
    ("Could you rephrase that?", "clarify"),
    ("What do you mean by the old column?", "clarify"),
    # --- requests, long (more than 14 words)
    ("I'm not sure what you mean by the old column. Could you give me a hint?", "hint"),
    ("Sorry, the line was really bad for a second there and I only caught the first half,"
     " could you repeat the whole question for me?", "repeat"),
    ("I've thought about it for a while and honestly I don't have any experience with rate"
     " limiters, so can we skip this one and come back later if there's time?", "skip"),
    ("I'm really sorry, something has come up at home and I need to leave, can we end the"
     " interview here?", "stop"),
    ("I understand the first part about the cache, but I'm not sure what you're asking in"
     " the second part about the herd.", "clarify"),
    ("I know the basics of how a queue works but I'm blanking on how to handle the crash"
     " case. Could you give me a small hint?", "hint"),
    ("Rolling back first is what I'd do, then look at the dashboards. Can I get a hint on"
     " what else you're looking for?", "hint"),
    ("I'm not sure I follow. When you say the shared store, do you mean Redis or something"
     " else?", "clarify"),
    # checking the question before answering it (issue 26: these were taken as answers)
    ("Sorry, just to make sure I understand: do you mean X or Y?", "clarify"),
    ("Just to make sure I understand: are we talking about the read path or the write"
     " path?", "clarify"),
    ("To make sure I understand, you want me to design the whole write path?", "clarify"),
    ("Can I check I've understood: is this about retries from the client?", "clarify"),
    ("If I understand correctly, you're asking about the database rather than the cache?",
     "clarify"),
    ("Just to make sure I understand the trade-off, I'd put Redis in front with a short"
     " TTL.", ANSWER),
    # --- questions to the interviewer
    ("Before I answer, how big is the team I'd be joining?", "question"),
    ("How big is the team?", "question"),
    ("Can I ask what the on-call rotation looks like?", "question"),
    ("Quick question: is the role remote or hybrid?", "question"),
    ("What does the team use for deploys?", "question"),
    ("Do you use PostgreSQL for everything or is there also some NoSQL?", "question"),
    ("I'll get to the answer in a second, but first, what would my first month in the role"
     " look like?", "question"),
    # --- mixed messages
    ("I'd put Redis in front with a short TTL. Sorry, could you repeat the last part of the"
     " question?", "repeat"),
    ("Could you repeat that? Actually never mind, I'd use a token bucket in Redis with an"
     " atomic script.", ANSWER),
    ("Can I get a hint? No wait, I think I've got it: the job should be idempotent so it can"
     " run twice.", ANSWER),
    ("We used a queue and an outbox. By the way, does the team use Kafka?", "question"),
    ("Thanks, I think that's everything from me on this. Can we move on to the next one?",
     "skip"),
]

REQUESTS = [(text, kind) for text, kind in TABLE if kind is not None]
ANSWERS = [text for text, kind in TABLE if kind is None]


def _kind(text: str) -> str | None:
    intent = read_message(text).intent
    return None if intent is None else intent.value


def test_the_table_is_big_and_varied() -> None:
    assert len(TABLE) >= 60
    assert {kind for _, kind in REQUESTS} == {i.value for i in Intent}
    assert any(len(text.split()) > 14 for text, _ in REQUESTS)  # long requests
    assert len(ANSWERS) >= 25


def test_goals_over_the_whole_table() -> None:
    stopped = [t for t in ANSWERS if _kind(t) == "stop"]
    taken = [t for t in ANSWERS if _kind(t) is not None]
    recognised = sum(_kind(t) == kind for t, kind in REQUESTS)
    assert stopped == []
    assert taken == []
    assert recognised / len(REQUESTS) >= 0.95


@pytest.mark.parametrize(("text", "kind"), TABLE, ids=[t[:40] for t, _ in TABLE])
def test_each_message(text: str, kind: str | None) -> None:
    assert _kind(text) == kind


def test_console_commands_are_requests_whatever_follows() -> None:
    assert _kind("/skip I don't know this one") == "skip"
    assert _kind("/quit") == "stop"


def test_a_mixed_message_keeps_its_answer_part() -> None:
    reading = read_message("I'd put Redis in front with a short TTL. Sorry, could you"
                           " repeat the last part of the question?")
    assert reading.intent is Intent.REPEAT
    assert reading.answer == "I'd put Redis in front with a short TTL."
    assert "repeat the last part" in reading.request


def test_sentences_split_on_end_punctuation_and_line_breaks() -> None:
    assert split_sentences("One. Two? Three!\nFour; five") == [
        "One.", "Two?", "Three!", "Four;", "five"]


@pytest.mark.parametrize(("reply", "yes"), [
    ("Yes.", True), ("Yeah, let's stop.", True), ("Yes please", True), ("Sure.", True),
    ("Please end the interview.", True), ("No, let's keep going.", False),
    ("Actually no, sorry, I misspoke.", False), ("Hmm, I'd rather continue.", False),
    ("I'd use a queue with retries.", False), ("", False), ("Wait, no.", False),
])
def test_confirming_a_stop(reply: str, yes: bool) -> None:
    assert is_yes(reply) is yes
