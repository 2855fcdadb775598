"""``python -m bhq_migrate``: the same entry point as the ``bhq-migrate`` script."""

try:
    from bhq_migrate.cli import main
except KeyboardInterrupt:  # Ctrl-C in the first milliseconds, before main()'s own guard exists
    import sys

    sys.stderr.write("interrupted\n")
    raise SystemExit(130) from None

main()
