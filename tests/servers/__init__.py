"""Servers the publishing tests talk to, on 127.0.0.1 and a free port, started once per session."""
