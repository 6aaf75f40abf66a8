"""The kiosk's Textual UI: screens per flow, device workers that only post messages, verdict panels."""
