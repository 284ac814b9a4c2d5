"""`python -m aqora_helper`: the `aqora-helper` command (see doors/token.py)."""

from aqora_helper.doors.token import main

if __name__ == "__main__":
    main()
