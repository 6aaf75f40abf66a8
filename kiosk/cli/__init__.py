"""The `kiosk` command line."""

def main() -> None:
    pass
