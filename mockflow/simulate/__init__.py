"""Simulated candidates: personas, persona files, expectations, the runner."""
