"""Timeliste's domain: schemas and the pure rules shared by phone and server.

Nothing here does I/O or imports from `server`, `sync` or `mobile`.
"""
