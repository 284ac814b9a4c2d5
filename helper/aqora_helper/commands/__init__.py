"""The `aqora-helper` subcommands, one module each."""
