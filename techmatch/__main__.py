"""`python -m techmatch` runs the CLI."""

from techmatch.cli import main

main()
