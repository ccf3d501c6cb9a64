"""Console pages: one router module per page group, handlers thin (parse → call → render)."""
