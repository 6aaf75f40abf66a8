"""`python -m kiosk` runs the CLI (the tests use it so they need no installed script)."""

from kiosk.cli import main

main()
