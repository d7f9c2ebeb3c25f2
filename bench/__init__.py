"""The web benchmark (`make bench`): see README, "Performance and the benchmark"."""
