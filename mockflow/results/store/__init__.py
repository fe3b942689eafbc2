"""Where a session's files go besides the local directory, and how they get there:
``backend`` (the store spec: a directory or S3-compatible object storage, its keys and
the ``ObjectStore`` interface), ``checkpoints`` (when a running session's files are
queued), ``uploads`` (the durable upload queue and its drainer; ``mockflow results
flush``) and ``sync`` (an s3:// store read back into a checked local cache)."""
