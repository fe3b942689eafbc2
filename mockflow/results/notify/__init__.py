"""Telling other systems about a session: ``webhook`` (signed deliveries through a
durable outbox) and ``events`` (what a webhook says about a session, and when one is
queued)."""
