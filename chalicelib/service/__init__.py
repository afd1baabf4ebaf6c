"""Use cases: each takes its ports (repositories, stores) and a clock, and applies the domain rules."""
