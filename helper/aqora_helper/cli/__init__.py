"""cli/: the typer commands and doctor's checks. They render, never decide."""
