"""Empty: its fixtures moved to tests/csms/conftest.py.

Kept only so a module that still lists it in `pytest_plugins` loads; delete it once none does.
"""
