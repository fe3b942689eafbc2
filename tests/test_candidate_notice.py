"""``candidate_notice``: the file's part of what the candidate reads, and what mockflow
always adds from the rest of the file (AI, human review, what is assessed and recorded)."""

from __future__ import annotations

from conftest import ROOT

from mockflow.format.model import CandidateNotice
from mockflow.format.validate import load_interview
from mockflow.web.notice import build_notice, question_count

FULL = ROOT / "tests" / "cases" / "valid" / "full.yaml"


def test_every_field_reaches_the_model() -> None:
    notice = load_interview(FULL).interview.candidate_notice
    assert notice == CandidateNotice(
        organisation="Acme Platform team", contact="platform-hiring@acme.example",
        privacy_url="https://acme.example/privacy",
        retention="12 months after the role is filled",
        alternative="Write to platform-hiring@acme.example for an interview with a person"
                    " instead.",
        additional=("The interview is in English.",), next_steps="We write to you within a"
                                                                  " week.")


def test_the_page_says_what_the_rules_ask_for_from_the_file() -> None:
    interview = load_interview(ROOT / "interviews" / "backend.yaml").interview
    notice = build_notice(interview)
    assert notice.organisation == "Acme"  # role.company
    assert notice.ai.startswith("Your interviewer, Alex, is an AI system, not a person.")
    assert "A person at Acme reviews the interview" in notice.review
    assert "does not decide" in notice.review
    assert notice.assessed == ("Your answers are assessed against a fixed rubric for: "
                               + ", ".join(c.name for c in interview.competencies) + ".")
    assert notice.minutes == 40 and notice.questions == question_count(interview) > 0
    assert "The audio itself is not recorded" in notice.recorded
    assert "Deepgram" in notice.processing and "OpenAI" in notice.processing
    assert notice.retention.startswith("12 months after the role is filled")
    assert notice.contact_email == "talent@acme.example"
    assert notice.alternative.endswith("ask us for another way to be assessed before you"
                                       " start.")
    assert notice.next_steps.startswith("A recruiter at Acme reviews your interview")


def test_defaults_without_a_notice_section() -> None:
    interview = load_interview(ROOT / "interviews" / "support-lead.yaml").interview
    assert interview.candidate_notice == CandidateNotice()
    notice = build_notice(interview)
    assert notice.contact is None and notice.contact_email is None
    assert "ask the person who sent you this link for another way" in notice.alternative
    assert "privacy notice describes" in notice.retention
    assert notice.next_steps.endswith("will tell you about the next step.")
    assert "score" not in notice.next_steps.lower()


def test_recording_follows_the_voice_settings() -> None:
    import dataclasses

    interview = load_interview(ROOT / "interviews" / "backend.yaml").interview
    recorded = dataclasses.replace(interview,
                                   voice=dataclasses.replace(interview.voice, record=True))
    assert "The audio is recorded as well." in build_notice(recorded).recorded
