"""The HTML: the join page for a valid invite, and a clear page for every other case.

Jinja2 with autoescaping on: the candidate's name, the notice texts and every other
value reach the HTML escaped, and the script's data block goes through ``tojson`` (which
escapes ``<``, ``>``, ``&`` and quotes), so no value can close a tag or start a script.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import jinja2

from mockflow.format.model import Interview
from mockflow.results.invites import InviteRecord, InviteState, iso_z
from mockflow.web.assets import TEMPLATES_DIR, fingerprint, livekit_client_version
from mockflow.web.notice import Notice, build_notice

STATIC = "../static"  # relative to /i/<code>, so a reverse proxy may mount it under a prefix


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    heading: str
    message: tuple[str, ...]
    show_next_steps: bool = False


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Pages:
    def __init__(self) -> None:
        self.env = _environment()
        self.version = fingerprint()
        self.livekit_version = livekit_client_version()
        self._notices: dict[int, Notice] = {}

    def notice(self, interview: Interview) -> Notice:
        key = id(interview)
        if key not in self._notices:
            self._notices[key] = build_notice(interview)
        return self._notices[key]

    def _common(self, organisation: str) -> dict[str, object]:
        return {"lang": "en", "static": STATIC, "version": self.version,
                "organisation": organisation}

    def join(self, interview: Interview, record: InviteRecord) -> str:
        n = self.notice(interview)
        data = {"interviewer": n.interviewer, "minutes": n.minutes}
        return self.env.get_template("join.html").render(
            **self._common(n.organisation), n=n, name=record.name, data=data,
            livekit_version=self.livekit_version)

    def problem(self, problem: Problem, interview: Interview | None) -> str:
        n = self.notice(interview) if interview is not None else None
        return self.env.get_template("problem.html").render(
            **self._common(n.organisation if n else "Interview"),
            role=f"{n.role} interview" if n else "",
            status=problem.status, heading=problem.heading, message=problem.message,
            next_steps=n.next_steps if n and problem.show_next_steps else None,
            contact=n.contact if n else None, contact_email=n.contact_email if n else None)


def _when(moment: datetime) -> str:
    return iso_z(moment).replace("T", " ").replace("Z", " UTC")


ASK = "Ask the person who sent it to you for a new link."


def problem_for(state: InviteState, record: InviteRecord | None) -> Problem:
    """What the candidate is told for an invite that can't be used (with its status)."""
    if state is InviteState.REVOKED:
        return Problem(410, "This invite was withdrawn",
                       ("The organiser withdrew this invite, so it can no longer be used.",
                        ASK))
    if state is InviteState.ENDED:
        return Problem(410, "This interview has already taken place",
                       ("The interview for this link is over, and each link is for one"
                        " interview only.",), show_next_steps=True)
    if state is InviteState.EXPIRED and record is not None:
        return Problem(410, "This invite has expired",
                       (f"The link was valid until {_when(record.expires_at)}.", ASK))
    if state is InviteState.NOT_YET and record is not None:
        return Problem(403, "This interview isn’t open yet",
                       (f"You can start it from {_when(record.not_before)}. Come back to"
                        " this link then.",))
    return Problem(404, "This link isn’t valid",
                   ("Check that you opened the whole link from your invitation (it ends"
                    " in a code of 22 letters and digits). If it still doesn’t work, ask"
                    " the person who sent it to you for a new one.",))


NOT_HERE = Problem(404, "This interview isn’t available here",
                   ("The link is for an interview this site doesn’t run at the moment.", ASK))
IN_USE = Problem(409, "This interview is open in another browser",
                 ("This link was already used to join from another browser or device, and"
                  " it works in that one only. Go back to it, or ask the person who sent"
                  " you the link for a new one.",))
BROKEN = Problem(500, "This interview can’t be opened right now",
                 ("Something went wrong on our side. Try again in a few minutes; if it still"
                  " doesn’t work, ask the person who sent you the link.",))
