"""Reports made from a stored session: ``model`` (what a report shows, built from the
files) rendered by ``html``, ``md`` and ``svg`` (the charts), and ``compare`` (several
sessions of one interview side by side). Read-only: nothing here writes a session."""
