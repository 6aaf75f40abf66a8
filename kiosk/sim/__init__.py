"""The kiosk without a screen: scenario files played on the simulator through the real drivers and the
same domain services as the UI (`kiosk sim run`), for CI, benchmarks and the crash test."""
