from bhq_migrate.cli import main

main()
