"""The OCPP hot path: the few statements every charger message runs, prebuilt and run on the DBAPI connection.

runner.py holds the machinery (compile once per dialect, execute on the driver's connection, which connection, the
one-writer rule), internals.py the SQLAlchemy internals it reads; chargers.py, transactions.py, tokens.py and
pairing.py hold the named reads and writes the services call. No SQL of the hot path lives anywhere else, so
tests/hotpath/test_contract.py can run every one of them through the hot path and through SQLAlchemy and compare.

Nothing is imported here: autocharge.db imports the runner, and the statement modules import the models.
"""
