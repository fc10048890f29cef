"""pytest setup for the rocks Python package.

CTest runs pytest with PYTHONPATH=<build>/python (the freshly built extension). Run by hand, e.g.
    PYTHONPATH=build/python /usr/bin/python3 -m pytest -q tests/python
this file also falls back to <repo>/build/python when `rocks` is not importable.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import rocks  # noqa: F401
except ImportError:
    sys.path.insert(0, os.path.join(ROOT, "build", "python"))
    import rocks  # noqa: F401
