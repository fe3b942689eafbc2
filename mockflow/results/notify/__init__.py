"""Telling other systems about a session: ``webhook`` (signed deliveries through a
durable outbox), ``events`` (what a webhook says about a session, and when one is queued)
and ``flush`` (what ``mockflow sessions --flush`` and the worker's background loop send
from the outbox)."""
