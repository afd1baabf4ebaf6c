"""The lifecycle of a case (DOMAIN.md §2–§6): its reason codes, clocks, workflow steps, expiry rules,
actions and who may take them, one module each."""
