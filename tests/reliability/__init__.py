"""Reliability and security tests: faults, bad input, roles, limits and the soak."""
