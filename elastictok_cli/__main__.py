"""Allow `python -m elastictok_cli`."""

from elastictok_cli.cli.app import main

main()
