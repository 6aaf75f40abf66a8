"""The benchmark suite behind `kiosk bench` (bench/suite.py); each part runs alone too."""
