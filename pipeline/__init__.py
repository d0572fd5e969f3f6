"""The `foresight` command: configuration, orchestration of the weekly scan, reports, backtests."""
