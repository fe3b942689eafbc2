"""The candidate's side: the join page and its token endpoint (``mockflow serve``).

aiohttp serves a static page (HTML, CSS and a small script on livekit-client, no build
step) for each invite code, and mints short-lived LiveKit tokens for it through
``live.invite``. Invites live in the results directory (``results.invites``). Nothing
here imports livekit; only ``cli`` imports this package.
"""
