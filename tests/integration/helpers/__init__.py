"""Helpers for pgfront's integration tests: the local Patroni cluster
(scripts/cluster), the pgfront binary, PostgreSQL clients, and stub peers.

Everything here talks to loopback addresses (127.0.0.0/8) only.
"""

import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
