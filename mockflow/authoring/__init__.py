"""Writing interview files: a commented scaffold (``mockflow new``), model-drafted content
for review (``mockflow draft``) and the round-trip edits that put it into the file.

Sits right after ``format`` in the one-way flow: it reads and checks files with
``mockflow.format`` and nothing downstream imports it except the CLI.
"""
