"""One router per resource: records, search, match, feedback, health."""
