"""setup/: the client config editors (git, Docker and the containers tools, pip, uv),
each with an exact undo, over two pure editors (jsontext, textblocks), and doctor's
checks of what they configure (checks.py, indexchecks.py). No CLI framework here: the
typer commands are in cli/ (setup.py, doctor.py)."""
