"""The local stack: moto in server mode, provisioned from `chalicelib/resources.py`, and the app."""
