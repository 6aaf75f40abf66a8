"""The kiosk PC as an appliance: `kiosk install` (files in `files/`, the plan in `layout`, writing it in
`install`). Debian 12 and Ubuntu 24.04 with systemd; nothing here is imported by the kiosk itself."""
