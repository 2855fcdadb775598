"""bhq-migrate: safe, verifiable PostgreSQL migrations for BreederHQ.

The package is a library first; :mod:`bhq_migrate.cli` is a thin typer layer over it.
Data flows one way per job:

* ``migrate/``: plans -> parser -> runner -> history
* ``verify/``:  catalog snapshot -> checks -> results
* ``lint/``:    plans -> statement analysis -> findings
* ``scan/``:    source files -> parser -> findings
* ``report/``:  findings/results -> console, JSON, JUnit, SARIF
"""

__version__ = "0.1.0"
