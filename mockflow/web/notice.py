"""What the candidate reads before joining and after: built from the interview file.

mockflow states the parts that transparency rules ask for in every case, from the
file's own settings: that the interviewer is an AI (EU AI Act, Art. 50(1)); that a
person reviews the result and the AI does not decide; which qualities are assessed (the
competencies; NYC Local Law 144 asks for the job qualifications and characteristics
used); what is recorded and which services process the voice (``voice``); how long it
takes and how many questions there are (``timing``, ``stages``). The
``candidate_notice`` section adds the organisation's part: who they are, whom to ask for
another way to be assessed or an accommodation, how long data is kept, a privacy
notice, extra paragraphs and what happens next. All of it is plain text: the page
escapes it like any other data.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from mockflow.format.model import Interview

PROVIDERS = {"openai": "OpenAI", "deepgram": "Deepgram", "cartesia": "Cartesia",
             "elevenlabs": "ElevenLabs", "google": "Google", "azure": "Microsoft Azure"}
_EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class Notice:
    organisation: str
    role: str  # "Backend Engineer (mid)"
    interviewer: str
    minutes: int
    questions: int
    competencies: tuple[str, ...]
    ai: str
    review: str
    assessed: str
    recorded: str
    processing: str
    retention: str
    alternative: str
    contact: str | None
    contact_email: str | None  # set when the contact is an e-mail address (a mail link)
    privacy_url: str | None
    additional: tuple[str, ...]
    next_steps: str


def question_count(interview: Interview) -> int:
    """Main questions asked (follow-ups come on top)."""
    return sum(len(s.questions) if s.is_fixed else (s.pick or 0) for s in interview.stages)


def _provider(name: str) -> str:
    return PROVIDERS.get(name, name)


def build_notice(interview: Interview) -> Notice:
    custom = interview.candidate_notice
    organisation = custom.organisation or interview.role.company or "the hiring team"
    who = interview.interviewer.name
    voice = interview.voice
    competencies = tuple(c.name for c in interview.competencies)
    contact = custom.contact
    email = contact if contact and _EMAIL.fullmatch(contact.strip()) else None
    if custom.alternative:
        alternative = custom.alternative
    else:
        alternative = ("If you would rather not be interviewed by an AI, or you need an"
                       " adjustment (for example more time or a different format), "
                       + ("ask us for another way to be assessed before you start."
                          if contact else "ask the person who sent you this link for"
                          " another way to be assessed before you start."))
    recorded = ("A written transcript of the conversation is kept with the scores."
                + (" The audio is recorded as well." if voice.record
                   else " The audio itself is not recorded."))
    processing = (f"To hold the conversation, your voice is turned into text by a speech"
                  f" recognition service ({_provider(voice.stt.provider)}); the interviewer's"
                  f" words are written by a language model"
                  f" ({_provider(voice.llm.primary.provider)}) and spoken by a speech"
                  f" service ({_provider(voice.tts.provider)}).")
    retention = custom.retention or (
        f"As {organisation}'s privacy notice describes"
        + (f"; ask {contact} for details." if contact else "."))
    return Notice(
        organisation=organisation,
        role=f"{interview.role.title} ({interview.role.level})",
        interviewer=who,
        minutes=max(1, math.ceil(interview.timing.total_minutes)),
        questions=question_count(interview),
        competencies=competencies,
        ai=(f"Your interviewer, {who}, is an AI system, not a person. {who} asks the"
            " questions, listens to your answers and may ask follow-up questions."),
        review=(f"A person at {organisation} reviews the interview and its scores. The AI"
                " does not decide whether you move forward."),
        assessed="Your answers are assessed against a fixed rubric for: "
                 + ", ".join(competencies) + ".",
        recorded=recorded,
        processing=processing,
        retention=retention,
        alternative=alternative,
        contact=contact,
        contact_email=email.strip() if email else None,
        privacy_url=custom.privacy_url,
        additional=custom.additional,
        next_steps=custom.next_steps or (
            f"A person at {organisation} reviews your interview and will tell you about the"
            " next step."),
    )
