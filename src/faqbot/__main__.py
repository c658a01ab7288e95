"""`python -m faqbot` is the `faqbot` command."""

from .cli import main

raise SystemExit(main())
