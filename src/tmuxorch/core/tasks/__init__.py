"""The task queue: messages handed, one at a time, to whichever matching agent is idle."""
