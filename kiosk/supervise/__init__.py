"""The supervisor's view (監督者画面): a read-only web page of the safe's work, live (`kiosk supervise`)."""
