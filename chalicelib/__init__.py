"""Complaint-handling backend: domain core, services, adapters and HTTP API."""
