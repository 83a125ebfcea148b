"""``python -m calmops_gen`` runs the ``calmops-gen`` command."""

from calmops_gen.cli import main

main()
