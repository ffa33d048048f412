"""The roles a govsweep process runs: scheduler, crawler, browser, checker, aggregator, monitor."""
