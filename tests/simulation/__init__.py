"""The simulated month: a seeded world of contacts run through the real flows and servers."""
