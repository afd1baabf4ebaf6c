"""Adapters: the AWS side of the ports in `chalicelib/service/ports.py`."""
