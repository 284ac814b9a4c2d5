"""cli/: the typer commands. They render, never decide: doctor's checks of the clients'
configs are in setup/ (checks.py, indexchecks.py), beside the editors they check."""
