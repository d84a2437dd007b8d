"""`python -m app.cli ...`: the same as the `narratives` command."""

from app.cli import main

if __name__ == "__main__":
    main()
