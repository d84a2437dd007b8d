"""`python -m app.cli ...`: the same as the `narratives` command."""

from app.cli import main

main()
