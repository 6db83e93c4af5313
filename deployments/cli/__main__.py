"""``python -m coffeechat.deployments.cli``: the same as the ``coffeechat`` command."""

from coffeechat.deployments.cli import main

main()
