"""``python -m lightning_ir``: the ``lightning-ir`` command line."""

from .cli import main

if __name__ == "__main__":
    main()
